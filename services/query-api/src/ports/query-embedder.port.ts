/** Port to the embedder: query vectors on its interactive lane, and the model it serves with that model's search settings. */
import type { ModelInfo } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export abstract class QueryEmbedder {
  /** The loaded model (GetModelInfo): its id, input size and the score cut-offs search applies for it. */
  abstract describeModel(context: RequestContext): Promise<ModelInfo>;
  /** One shopper query, interactive priority; an L2-normalised vector of the model `describeModel` names. */
  abstract embedQueryText(text: string, context: RequestContext): Promise<Float32Array>;
  /** One photo as RGB HWC uint8 pixels at the model's input size, interactive priority. */
  abstract embedQueryPixels(pixels: Uint8Array, context: RequestContext): Promise<Float32Array>;
  /** Resolves when the embedder answers and is ready; throws DependencyUnavailableError otherwise. */
  abstract checkReady(): Promise<void>;
}
