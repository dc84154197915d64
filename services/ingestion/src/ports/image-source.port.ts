/** Where product images come from: fetching (SSRF-safe) and decoding + preprocessing to the model's input. */
export interface FetchedImageBytes {
  bytes: Buffer;
  contentType: string;
}

export abstract class ImageSource {
  /** Throws `ImageFetchError` (`@vsearch/image-fetch`) with a code and a retryable flag. */
  abstract fetchImage(url: string, signal?: AbortSignal): Promise<FetchedImageBytes>;
  abstract close(): void;
}

export abstract class ImagePreprocessor {
  /** RGB HWC uint8 pixels at `size`²; throws `ImagePreprocessError` for an image that cannot be decoded. */
  abstract toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array>;
}
