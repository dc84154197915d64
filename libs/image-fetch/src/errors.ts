/** Typed failures of the safe image fetcher: a stable code for metrics and dead letters, and whether a retry may help. */
export type ImageFetchErrorCode =
  'bad_url' | 'bad_scheme' | 'refused_address' | 'too_large' | 'timeout' | 'aborted' | 'http_status' | 'too_many_redirects' | 'content_mismatch' | 'network';

const RETRYABLE_CODES: ReadonlySet<ImageFetchErrorCode> = new Set(['timeout', 'network']);

export class ImageFetchError extends Error {
  override readonly name = 'ImageFetchError';
  /** True when the same request may succeed later (timeouts, connection errors, 5xx, 429, 408). */
  readonly retryable: boolean;

  constructor(
    readonly code: ImageFetchErrorCode,
    message: string,
    readonly url: string,
    options: { status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
  }

  /** HTTP status of the image host's answer, for `http_status`. */
  readonly status?: number;
}

export function isImageFetchError(error: unknown): error is ImageFetchError {
  return error instanceof ImageFetchError;
}

/** 5xx, 408 (request timeout) and 429 (rate limited) are worth retrying; other statuses are the URL's fault. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
