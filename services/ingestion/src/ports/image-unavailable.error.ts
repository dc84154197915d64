/**
 * An image that cannot be had, in ingestion's terms: the image sources and preprocessors throw it
 * so the logic never sees a library's own errors (the fetcher's, the decoder's). It is the
 * image's fault (a bad URL, a 404, a corrupt file), never our outage: the image is left out of
 * its product and recorded, or the product dead-lettered when every image fails.
 */

/** Where the image was lost: fetching its bytes, or decoding them into the model's pixels. */
export type ImageUnavailableStage = 'fetch' | 'decode';

export class ImageUnavailableError extends Error {
  override readonly name = 'ImageUnavailableError';
  /** True when the same request may succeed later (a timeout, a dropped connection, a 5xx): the fetch is retried with backoff. */
  readonly retryable: boolean;

  constructor(
    readonly stage: ImageUnavailableStage,
    /** Stable code for metrics, dead letters and failed-image records, for instance `http_status` or `corrupt`. */
    readonly errorCode: string,
    /** What went wrong, for people: recorded as the failure's reason. */
    readonly reason: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}
