/** Decoding and preprocessing image bytes into the model's input, on the ingestion pod (never on the GPU pod). */
export abstract class ImagePreprocessor {
  /** RGB HWC uint8 pixels at `size`²; throws ImageUnavailableError (stage `decode`) for an image that cannot be decoded. */
  abstract toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array>;
}
