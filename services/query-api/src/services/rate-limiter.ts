/**
 * Token-bucket rate limiting per client (an admin key, or the client IP for
 * anonymous callers): a client may burst up to `burst` requests, then gets
 * `perSecond`. Every request takes one token; work whose cost shows only later
 * (a photo's pixels, from its header) takes the rest with `charge`. Buckets of
 * clients not seen for a while are forgotten first.
 */
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  maxClients: number;
}

export type RateLimitDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TokenBucketRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Takes one token from the client's bucket. */
  take(clientKey: string): RateLimitDecision {
    return this.charge(clientKey, 1);
  }

  /**
   * Takes `tokens` from the client's bucket, all or none. A charge above the burst is cut to the
   * burst: a full bucket always pays for the heaviest request, so it is never refused for good.
   */
  charge(clientKey: string, tokens: number): RateLimitDecision {
    if (!(tokens > 0)) throw new RangeError(`a charge must be above 0 tokens, got ${tokens}`);
    const cost = Math.min(tokens, this.options.burst);
    const now = this.nowMs();
    const bucket = this.buckets.get(clientKey) ?? { tokens: this.options.burst, updatedMs: now };
    const refilled = Math.min(this.options.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.options.perSecond);
    this.remember(clientKey, { tokens: refilled >= cost ? refilled - cost : refilled, updatedMs: now });
    if (refilled >= cost) return { allowed: true, remaining: Math.floor(refilled - cost) };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - refilled) / this.options.perSecond)) };
  }

  get trackedClients(): number {
    return this.buckets.size;
  }

  private remember(clientKey: string, bucket: Bucket): void {
    this.buckets.delete(clientKey);
    this.buckets.set(clientKey, bucket);
    while (this.buckets.size > this.options.maxClients) {
      this.buckets.delete(this.buckets.keys().next().value as string);
    }
  }
}
