/** Where product images come from: their bytes, fetched SSRF-safe. */
export interface FetchedImageBytes {
  bytes: Buffer;
  contentType: string;
}

export abstract class ImageSource {
  /** Throws ImageUnavailableError (stage `fetch`, with a code and whether a retry may help) for an image that cannot be fetched. */
  abstract fetchImage(url: string, signal?: AbortSignal): Promise<FetchedImageBytes>;
  abstract close(): void;
}
