/** ImageSource over the shared SSRF-safe fetcher (`@vsearch/image-fetch`). */
import { SafeImageFetcher, type SafeImageFetcherOptions } from '@vsearch/image-fetch';
import { ImageSource, type FetchedImageBytes } from '../ports';

export class SafeFetchImageSource extends ImageSource {
  private readonly fetcher: SafeImageFetcher;

  constructor(options: SafeImageFetcherOptions) {
    super();
    this.fetcher = new SafeImageFetcher(options);
  }

  async fetchImage(url: string, signal?: AbortSignal): Promise<FetchedImageBytes> {
    const image = await this.fetcher.fetch(url, { signal });
    return { bytes: image.bytes, contentType: image.contentType };
  }

  close(): void {
    this.fetcher.close();
  }
}
