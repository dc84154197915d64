/** A client spent its rate-limit tokens: its own doing, so 429 (unlike OverloadedError, the server being full: 503). */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(
    message: string,
    /** Seconds until the client's bucket holds the tokens again. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
