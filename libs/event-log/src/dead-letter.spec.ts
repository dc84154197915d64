import { DLQ_HEADERS } from './dead-letter.publisher';
import { deadLetterFromEvent, isDeadLetterId, matchesDeadLetterFilter, REPLAYED_FROM_HEADER, replayRecordOf } from './dead-letter';
import type { ConsumedEvent } from './event-log.port';

function dlqEvent(overrides: Partial<ConsumedEvent> = {}, headers: Record<string, string> = {}): ConsumedEvent {
  return {
    topic: 'catalog.products.v1.dlq',
    partition: 0,
    offset: '7',
    key: 'p-1',
    value: Buffer.from(JSON.stringify({ type: 'product.upserted', productId: 'p-1', version: 3 })),
    headers: {
      'trace-id': 'abc',
      [DLQ_HEADERS.reason]: 'every image failed',
      [DLQ_HEADERS.stage]: 'fetch',
      [DLQ_HEADERS.errorCode]: 'refused_address',
      [DLQ_HEADERS.originalTopic]: 'catalog.products.v1',
      [DLQ_HEADERS.originalPartition]: '2',
      [DLQ_HEADERS.originalOffset]: '41',
      [DLQ_HEADERS.failedAt]: '2025-03-01T10:00:00.000Z',
      ...headers,
    },
    timestamp: Date.parse('2025-03-01T10:00:01.000Z'),
    ...overrides,
  };
}

describe(deadLetterFromEvent.name, () => {
  it('reads the id from the position on the dead-letter topic and the reason from the headers', () => {
    const letter = deadLetterFromEvent(dlqEvent());
    expect(letter).toMatchObject({
      id: '0-7',
      stage: 'fetch',
      errorCode: 'refused_address',
      reason: 'every image failed',
      failedAt: '2025-03-01T10:00:00.000Z',
      originalTopic: 'catalog.products.v1',
      originalPartition: 2,
      originalOffset: '41',
      productId: 'p-1',
      version: 3,
    });
  });

  it('reads the stage of a poison event (an unexpected error that outlasted its retries), and an unknown stage as unknown', () => {
    const poison = dlqEvent(
      {},
      { [DLQ_HEADERS.stage]: 'handle', [DLQ_HEADERS.errorCode]: 'unexpected_error', [DLQ_HEADERS.reason]: 'TypeError: x is undefined (failed 5 times)' },
    );
    expect(deadLetterFromEvent(poison)).toMatchObject({ stage: 'handle', errorCode: 'unexpected_error', reason: 'TypeError: x is undefined (failed 5 times)' });
    expect(deadLetterFromEvent(dlqEvent({}, { [DLQ_HEADERS.stage]: 'teleport' })).stage).toBe('unknown');
  });

  it('keeps only the original headers, without the dead-letter ones', () => {
    expect(deadLetterFromEvent(dlqEvent()).originalHeaders).toEqual({ 'trace-id': 'abc' });
  });

  it('reads a record without dead-letter headers as unknown, dated by its append time', () => {
    const letter = deadLetterFromEvent(dlqEvent({ headers: {} }));
    expect(letter).toMatchObject({ stage: 'unknown', errorCode: 'unknown', reason: '', failedAt: '2025-03-01T10:00:01.000Z' });
  });

  it('leaves product id and version out when the value is not JSON (the event the parser refused)', () => {
    const letter = deadLetterFromEvent(dlqEvent({ value: Buffer.from('{"productId": "p-1", trunc') }));
    expect(letter.productId).toBeUndefined();
    expect(letter.version).toBeUndefined();
  });
});

describe(matchesDeadLetterFilter.name, () => {
  const letter = deadLetterFromEvent(dlqEvent());

  it('matches a reason by error code or by stage', () => {
    expect(matchesDeadLetterFilter(letter, { reason: 'refused_address' })).toBe(true);
    expect(matchesDeadLetterFilter(letter, { reason: 'fetch' })).toBe(true);
    expect(matchesDeadLetterFilter(letter, { reason: 'invalid_json' })).toBe(false);
  });

  it('matches letters failed at or after the since instant only', () => {
    expect(matchesDeadLetterFilter(letter, { sinceMs: Date.parse('2025-03-01T10:00:00.000Z') })).toBe(true);
    expect(matchesDeadLetterFilter(letter, { sinceMs: Date.parse('2025-03-01T10:00:00.001Z') })).toBe(false);
  });

  it('matches one id exactly', () => {
    expect(matchesDeadLetterFilter(letter, { id: '0-7' })).toBe(true);
    expect(matchesDeadLetterFilter(letter, { id: '0-70' })).toBe(false);
  });

  it('requires every given field to match', () => {
    expect(matchesDeadLetterFilter(letter, { id: '0-7', reason: 'parse' })).toBe(false);
  });
});

describe(isDeadLetterId.name, () => {
  it('accepts <partition>-<offset> only', () => {
    expect(isDeadLetterId('0-12')).toBe(true);
    expect(isDeadLetterId('12')).toBe(false);
    expect(isDeadLetterId('0-1x')).toBe(false);
    expect(isDeadLetterId('-0-1')).toBe(false);
  });
});

describe(replayRecordOf.name, () => {
  it('is the original key, value and headers, naming the dead letter it comes from', () => {
    const event = dlqEvent();
    expect(replayRecordOf(deadLetterFromEvent(event))).toEqual({
      key: 'p-1',
      value: event.value,
      headers: { 'trace-id': 'abc', [REPLAYED_FROM_HEADER]: '0-7' },
    });
  });
});
