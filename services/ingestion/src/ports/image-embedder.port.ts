/** The embedder as ingestion needs it: the model it runs and image vectors from model-sized pixels (bulk lane). */
import type { ModelInfo } from '@vsearch/contracts';

/** What ingestion reads of the embedder's model: its id and dimension (recorded by collections) and its input side (images are preprocessed to it here, not on the GPU pod). */
export type EmbedderModel = Pick<ModelInfo, 'modelId' | 'dimension' | 'imageSize'>;

/** A model as the embedder describes it, with every model it has loaded (the default first; two during a model rollout). */
export type DescribedModel = EmbedderModel & { loadedModelIds: string[] };

export abstract class ImageEmbedder {
  /** The default model, or the loaded one named; throws DependencyUnavailableError when the embedder cannot be reached. */
  abstract modelInfo(modelId?: string): Promise<DescribedModel>;
  /**
   * One unit vector per RGB HWC uint8 image of imageSize²×3 bytes of the named model (unset: the
   * default), in order, through the bulk lane. Throws DependencyUnavailableError on the embedder's
   * outage, RejectedByDependencyError when it refuses these pixels for good.
   */
  abstract embedPixels(pixels: readonly Uint8Array[], modelId?: string): Promise<Float32Array[]>;
  /** One unit vector per text from the named model's text tower (unset: the default), through the bulk lane (the gates' queries); throws as embedPixels does. */
  abstract embedTexts(texts: readonly string[], modelId?: string): Promise<Float32Array[]>;
  abstract close(): void;
}
