/**
 * ImageSource over the shared SSRF-safe fetcher (`@vsearch/image-fetch`). The fetcher's
 * ImageFetchError becomes the port's ImageUnavailableError (stage `fetch`) with the same code,
 * message and retryable flag, so the logic never depends on the fetcher's error type.
 */
import { isImageFetchError, SafeImageFetcher, type SafeImageFetcherOptions } from '@vsearch/image-fetch';
import { ImageSource, ImageUnavailableError, type FetchedImageBytes } from '../ports';

export class SafeFetchImageSource extends ImageSource {
  private readonly fetcher: SafeImageFetcher;

  constructor(options: SafeImageFetcherOptions) {
    super();
    this.fetcher = new SafeImageFetcher(options);
  }

  async fetchImage(url: string, signal?: AbortSignal): Promise<FetchedImageBytes> {
    try {
      const image = await this.fetcher.fetch(url, { signal });
      return { bytes: image.bytes, contentType: image.contentType };
    } catch (error) {
      if (isImageFetchError(error)) throw new ImageUnavailableError('fetch', error.code, error.message, { retryable: error.retryable, cause: error });
      throw error;
    }
  }

  close(): void {
    this.fetcher.close();
  }
}
