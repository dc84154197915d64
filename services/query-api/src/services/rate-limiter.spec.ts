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

  it('charges a heavy request several tokens, all or none, and says when they are back', () => {
    const time = clock();
    const limiter = new TokenBucketRateLimiter({ perSecond: 2, burst: 10, maxClients: 10 }, time.now);
    expect(limiter.charge('a', 7)).toEqual({ allowed: true, remaining: 3 });
    expect(limiter.charge('a', 5)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // A refused charge took nothing: the 3 tokens left still pay for 3 light requests.
    expect([1, 2, 3, 4].map(() => limiter.take('a').allowed)).toEqual([true, true, true, false]);
    time.advance(2_500);
    expect(limiter.charge('a', 5).allowed).toBe(true);
  });

  it('cuts a charge above the burst to the burst, so the heaviest request still passes on a full bucket', () => {
    const time = clock();
    const limiter = new TokenBucketRateLimiter({ perSecond: 1, burst: 4, maxClients: 10 }, time.now);
    expect(limiter.charge('a', 20)).toEqual({ allowed: true, remaining: 0 });
    expect(limiter.charge('a', 20)).toEqual({ allowed: false, retryAfterSeconds: 4 });
    time.advance(4_000);
    expect(limiter.charge('a', 20).allowed).toBe(true);
  });

  it('refuses a charge of no tokens as a bug', () => {
    expect(() => new TokenBucketRateLimiter({ perSecond: 1, burst: 1, maxClients: 1 }).charge('a', 0)).toThrow(/above 0 tokens, got 0/);
  });
});
