/** Port to the embedder: query vectors on its interactive lane, and the loaded model's description. */
import type { RequestContext } from './request-context';

export interface QueryModelInfo {
  /** `name@version`. */
  modelId: string;
  dimension: number;
  /** Square side, in pixels, of the model's image input (what preprocessing produces). */
  imageSize: number;
}

export abstract class QueryEmbedder {
  abstract describeModel(context: RequestContext): Promise<QueryModelInfo>;
  /** One shopper query, interactive priority; an L2-normalised vector of the model `describeModel` names. */
  abstract embedQueryText(text: string, context: RequestContext): Promise<Float32Array>;
  /** One photo as RGB HWC uint8 pixels at the model's input size, interactive priority. */
  abstract embedQueryPixels(pixels: Uint8Array, context: RequestContext): Promise<Float32Array>;
  /** Resolves when the embedder answers and is ready; throws DependencyUnavailableError otherwise. */
  abstract checkReady(): Promise<void>;
}
