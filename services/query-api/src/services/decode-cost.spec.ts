import { QueryApiMetrics } from '../metrics/query-api.metrics';
import { DecodeCostCharger } from './decode-cost';
import { RateLimitedError } from './rate-limited.error';
import { TokenBucketRateLimiter } from './rate-limiter';

describe(DecodeCostCharger.name, () => {
  const setUp = (burst = 40) => {
    const limiter = new TokenBucketRateLimiter({ perSecond: 20, burst, maxClients: 10 }, () => 0);
    return { limiter, charger: new DecodeCostCharger(limiter, 2, new QueryApiMetrics()) };
  };
  const client = { requestId: 'r', rateLimitClient: 'ip:10.0.0.1' };

  it('costs one token per 2 Mpx, at least one', () => {
    const { charger } = setUp();
    expect([charger.tokensFor(640, 480), charger.tokensFor(2000, 1000), charger.tokensFor(2001, 1000), charger.tokensFor(6320, 6320)]).toEqual([1, 1, 2, 20]);
  });

  it('charges the rest beyond the token paid on arrival, so the heaviest photos leave room for fewer', () => {
    const { limiter, charger } = setUp();
    limiter.take(client.rateLimitClient); // the guard's token
    charger.chargeDecode(client, 6320, 6320); // 19 more
    limiter.take(client.rateLimitClient);
    charger.chargeDecode(client, 6320, 6320);
    // 40 - 2 × 20 = 0 left: the third heavy photo is refused before its decode.
    expect(limiter.take(client.rateLimitClient).allowed).toBe(false);
    expect(() => charger.chargeDecode(client, 6320, 6320)).toThrow(RateLimitedError);
    expect(() => charger.chargeDecode(client, 6320, 6320)).toThrow(/6320×6320 pixels, which costs 20 rate-limit tokens; retry after 1 s/);
  });

  it('charges nothing more for a small photo, nor when rate limiting is off or the request was not counted', () => {
    const { limiter, charger } = setUp(1);
    charger.chargeDecode(client, 640, 480);
    expect(limiter.take(client.rateLimitClient).allowed).toBe(true);
    expect(() => new DecodeCostCharger(undefined, 2, new QueryApiMetrics()).chargeDecode(client, 6320, 6320)).not.toThrow();
    expect(() => charger.chargeDecode({ requestId: 'r' }, 6320, 6320)).not.toThrow();
  });
});
