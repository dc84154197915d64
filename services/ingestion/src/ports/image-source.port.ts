/** Where product images come from: their bytes, fetched SSRF-safe, and asked for again only if they changed. */
import type { ImageContent } from '@vsearch/contracts';

export interface FetchedImageBytes {
  bytes: Buffer;
  contentType: string;
  /** The host's `ETag` for these bytes, when it gave one. */
  etag?: string;
  /** The host's `Last-Modified` for these bytes, when it gave one. */
  lastModified?: string;
}

/** The validators a host gave for bytes fetched before. */
export type ImageValidators = Pick<ImageContent, 'etag' | 'lastModified'>;

/** The host answered a conditional fetch with 304: the bytes are still those the validators name. */
export const NOT_MODIFIED = 'not_modified';

export abstract class ImageSource {
  /** Throws ImageUnavailableError (stage `fetch`, with a code and whether a retry may help) for an image that cannot be fetched. */
  abstract fetchImage(url: string, signal?: AbortSignal): Promise<FetchedImageBytes>;

  /**
   * The bytes, unless the host says they are unchanged since it gave `validators` (NOT_MODIFIED:
   * nothing downloaded). Fails as fetchImage does. A source that cannot ask conditionally
   * fetches in full, and the caller compares hashes.
   */
  fetchImageIfModified(url: string, _validators: ImageValidators, signal?: AbortSignal): Promise<FetchedImageBytes | typeof NOT_MODIFIED> {
    return this.fetchImage(url, signal);
  }

  abstract close(): void;
}
