import { TokenBucketRateLimiter } from './rate-limiter';

describe(TokenBucketRateLimiter.name, () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('lets a client burst, then refuses with the seconds until a token is back', () => {
    const time = clock();
    const limiter = new TokenBucketRateLimiter({ perSecond: 2, burst: 3, maxClients: 10 }, time.now);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    time.advance(500);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('refills at the configured rate and never above the burst', () => {
    const time = clock();
    const limiter = new TokenBucketRateLimiter({ perSecond: 1, burst: 2, maxClients: 10 }, time.now);
    limiter.take('a');
    limiter.take('a');
    time.advance(60_000);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, false]);
  });

  it('asks a slow-refilling client to wait several seconds', () => {
    const limiter = new TokenBucketRateLimiter({ perSecond: 0.1, burst: 1, maxClients: 10 }, () => 0);
    limiter.take('a');
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('keeps clients apart and forgets the least recently seen beyond maxClients', () => {
    const time = clock();
    const limiter = new TokenBucketRateLimiter({ perSecond: 0.001, burst: 1, maxClients: 2 }, time.now);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('b').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    limiter.take('c'); // evicts b, the least recently seen
    expect(limiter.trackedClients).toBe(2);
    expect(limiter.take('b').allowed).toBe(true);
    expect(limiter.take('c').allowed).toBe(false);
  });
});
