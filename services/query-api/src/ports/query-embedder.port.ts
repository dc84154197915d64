/**
 * Port to the embedder: query vectors on its interactive lane, and the models it serves with their
 * search settings. `modelId` picks one of the loaded models (during a rollout two are); unset: the
 * embedder's default. A model that is not loaded is DependencyUnavailableError: we cannot answer
 * correctly until the embedder loads it.
 */
import type { ModelInfo } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export abstract class QueryEmbedder {
  /** A loaded model (GetModelInfo): its id, input size, the score cut-offs search applies for it, and every loaded model's id. */
  abstract describeModel(context: RequestContext, modelId?: string): Promise<ModelInfo>;
  /** One shopper query, interactive priority; an L2-normalised vector of the model named (or the default). */
  abstract embedQueryText(text: string, context: RequestContext, modelId?: string): Promise<Float32Array>;
  /** One photo as RGB HWC uint8 pixels at the named model's input size, interactive priority. */
  abstract embedQueryPixels(pixels: Uint8Array, context: RequestContext, modelId?: string): Promise<Float32Array>;
  /** Resolves when the embedder answers and is ready; throws DependencyUnavailableError otherwise. */
  abstract checkReady(): Promise<void>;
}
