/** Shoppers' image URLs, fetched with SafeImageFetcher (SSRF-safe, byte/pixel/time caps). */
import { ImageFetchError, type ImageFetchErrorCode, type SafeImageFetcher } from '@vsearch/image-fetch';
import { ImageInputError, RemoteImageSource, type ImageInputProblem, type RequestContext } from '../ports';

const PROBLEMS: Record<ImageFetchErrorCode, ImageInputProblem> = {
  bad_url: 'url_refused',
  bad_scheme: 'url_refused',
  refused_address: 'url_refused',
  too_large: 'too_large',
  content_mismatch: 'unsupported_format',
  timeout: 'fetch_failed',
  aborted: 'fetch_failed',
  http_status: 'fetch_failed',
  too_many_redirects: 'fetch_failed',
  network: 'fetch_failed',
};

export class SafeFetchRemoteImages extends RemoteImageSource {
  constructor(private readonly fetcher: SafeImageFetcher) {
    super();
  }

  async fetchImage(url: string, _context: RequestContext): Promise<Uint8Array> {
    try {
      return (await this.fetcher.fetch(url)).bytes;
    } catch (error) {
      if (error instanceof ImageFetchError) throw new ImageInputError(PROBLEMS[error.code], `cannot use the image URL: ${error.message}`);
      throw error;
    }
  }

  close(): void {
    this.fetcher.close();
  }
}
