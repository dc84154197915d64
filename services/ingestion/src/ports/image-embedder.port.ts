/** The embedder as ingestion needs it: the model it runs and image vectors from model-sized pixels (bulk lane). */
export interface EmbedderModel {
  modelId: string;
  dimension: number;
  /** Square input side in pixels; images are preprocessed to it here, not on the GPU pod. */
  imageSize: number;
}

export abstract class ImageEmbedder {
  /** Throws DependencyUnavailableError when the embedder cannot be reached. */
  abstract modelInfo(): Promise<EmbedderModel>;
  /** One unit vector per RGB HWC uint8 image of imageSize²×3 bytes, in order, through the bulk lane. */
  abstract embedPixels(pixels: readonly Uint8Array[]): Promise<Float32Array[]>;
  abstract close(): void;
}
