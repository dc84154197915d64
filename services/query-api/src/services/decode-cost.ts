/**
 * Rate-limit tokens weighted by the work a photo costs: its decoded megapixels, known only once
 * its header is read. The request paid one token on arrival (the rate-limit guard); the rest is
 * charged here, before the decode, so a client sending the heaviest allowed photos gets fewer of
 * them and a refused one costs the server a header read, not a decode.
 */
import type { QueryApiMetrics } from '../metrics/query-api.metrics';
import type { RequestContext } from '../ports';
import { RateLimitedError } from './rate-limited.error';
import type { TokenBucketRateLimiter } from './rate-limiter';

export class DecodeCostCharger {
  constructor(
    /** Undefined when rate limiting is off: nothing is charged. */
    private readonly limiter: TokenBucketRateLimiter | undefined,
    private readonly megapixelsPerToken: number,
    private readonly metrics: QueryApiMetrics,
  ) {}

  /** Tokens a decode of `width` × `height` costs in all, the request's first token included: at least 1. */
  tokensFor(width: number, height: number): number {
    return Math.max(1, Math.ceil((width * height) / 1_000_000 / this.megapixelsPerToken));
  }

  /** Charges the tokens beyond the one paid on arrival; throws RateLimitedError when the client has not got them. */
  chargeDecode(context: RequestContext, width: number, height: number): void {
    const client = context.rateLimitClient;
    const rest = this.tokensFor(width, height) - 1;
    if (!this.limiter || client === undefined || rest === 0) return;
    const decision = this.limiter.charge(client, rest);
    if (decision.allowed) return;
    this.metrics.rateLimited.inc({ client_kind: client.startsWith('ip:') ? 'ip' : 'key' });
    throw new RateLimitedError(
      `the image is ${width}×${height} pixels, which costs ${rest + 1} rate-limit tokens; retry after ${decision.retryAfterSeconds} s`,
      decision.retryAfterSeconds,
    );
  }
}
