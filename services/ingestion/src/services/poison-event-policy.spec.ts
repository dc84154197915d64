import { DependencyUnavailableError } from '@vsearch/contracts';
import { CollectionDamagedError } from '../ports/collection-damaged.error';
import { consumed } from '../testing/fakes';
import { isOutage, PoisonEventPolicy, stackFreeReason } from './poison-event-policy';

describe(PoisonEventPolicy.name, () => {
  const settings = { maxAttempts: 4, backoffBaseMs: 100, backoffMaxMs: 250 };

  it('retries an event with doubling pauses up to the maximum, then gives up on its last try', () => {
    // The jitter's random source is pinned to its two ends, so the schedule's bounds are exact.
    const longest = new PoisonEventPolicy(settings, () => 1);
    const shortest = new PoisonEventPolicy(settings, () => 0);
    const event = consumed({ productId: 'p' });
    expect([1, 2, 3, 4].map(() => longest.failed(event))).toEqual([
      { action: 'retry', attempt: 1, delayMs: 100 },
      { action: 'retry', attempt: 2, delayMs: 200 },
      { action: 'retry', attempt: 3, delayMs: 250 },
      { action: 'give_up', attempts: 4 },
    ]);
    expect([1, 2, 3].map(() => shortest.failed(event))).toEqual([
      { action: 'retry', attempt: 1, delayMs: 50 },
      { action: 'retry', attempt: 2, delayMs: 100 },
      { action: 'retry', attempt: 3, delayMs: 125 },
    ]);
  });

  it('counts each event on its own and forgets a partition once it commits', () => {
    const policy = new PoisonEventPolicy(settings, () => 1);
    const first = consumed({ productId: 'a' });
    const second = consumed({ productId: 'b' });
    policy.failed(first);
    policy.failed(first);
    expect(policy.failed(second)).toMatchObject({ action: 'retry', attempt: 1 });
    expect(policy.pending).toBe(2);
    policy.committed(first.topic, first.partition);
    expect(policy.pending).toBe(0);
    expect(policy.failed(first)).toMatchObject({ action: 'retry', attempt: 1 });
  });

  it('gives up at once when one try is all the settings allow', () => {
    const policy = new PoisonEventPolicy({ ...settings, maxAttempts: 1 });
    expect(policy.failed(consumed({ productId: 'p' }))).toEqual({ action: 'give_up', attempts: 1 });
  });
});

describe(isOutage.name, () => {
  it('takes dependency outages and damaged collections as outages, anything else as unexpected', () => {
    expect(isOutage(new DependencyUnavailableError('search', 'down'))).toBe(true);
    expect(isOutage(new CollectionDamagedError('products', 'bad frame'))).toBe(true);
    expect(isOutage(new TypeError("Cannot read properties of undefined (reading 'url')"))).toBe(false);
    expect(isOutage('a string thrown')).toBe(false);
  });
});

describe(stackFreeReason.name, () => {
  it('keeps the error name and first line of its message, drops the stack, URL credentials and query strings', () => {
    const error = new TypeError('cannot read https://user:s3cret@img.example/a.jpg?X-Amz-Signature=abc123 today\nsecond line');
    const reason = stackFreeReason(error, 5);
    expect(reason).toBe('TypeError: cannot read https://img.example/a.jpg today (failed 5 times)');
    expect(reason).not.toContain('s3cret');
    expect(reason).not.toContain('abc123');
    expect(reason).not.toContain('    at ');
  });

  it('caps the reason at 300 characters and names what was thrown when it is not an Error', () => {
    expect(stackFreeReason(new Error('x'.repeat(1000)), 1)).toHaveLength(300);
    expect(stackFreeReason('boom', 1)).toBe('string: boom (failed 1 time)');
  });
});
