/**
 * ImageSource over the shared SSRF-safe fetcher (`@vsearch/image-fetch`), conditional fetches
 * included. The fetcher's ImageFetchError becomes the port's ImageUnavailableError (stage
 * `fetch`) with the same code, message and retryable flag, so the logic never depends on the
 * fetcher's error type.
 */
import { isImageFetchError, SafeImageFetcher, type FetchedImage, type SafeImageFetcherOptions } from '@vsearch/image-fetch';
import { ImageSource, ImageUnavailableError, NOT_MODIFIED, type FetchedImageBytes, type ImageValidators } from '../ports';

export class SafeFetchImageSource extends ImageSource {
  private readonly fetcher: SafeImageFetcher;

  constructor(options: SafeImageFetcherOptions) {
    super();
    this.fetcher = new SafeImageFetcher(options);
  }

  async fetchImage(url: string, signal?: AbortSignal): Promise<FetchedImageBytes> {
    return bytesOf(await this.translated(() => this.fetcher.fetch(url, { signal })));
  }

  override async fetchImageIfModified(url: string, validators: ImageValidators, signal?: AbortSignal): Promise<FetchedImageBytes | typeof NOT_MODIFIED> {
    const result = await this.translated(() => this.fetcher.fetchIfModified(url, validators, { signal }));
    return 'notModified' in result ? NOT_MODIFIED : bytesOf(result);
  }

  close(): void {
    this.fetcher.close();
  }

  private async translated<T>(fetch: () => Promise<T>): Promise<T> {
    try {
      return await fetch();
    } catch (error) {
      if (isImageFetchError(error)) throw new ImageUnavailableError('fetch', error.code, error.message, { retryable: error.retryable, cause: error });
      throw error;
    }
  }
}

function bytesOf({ bytes, contentType, etag, lastModified }: FetchedImage): FetchedImageBytes {
  return { bytes, contentType, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}
