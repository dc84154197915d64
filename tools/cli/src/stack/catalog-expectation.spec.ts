/** real: the embedded file event log, DeadLetterPublisher. mock: nothing. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catalogTopicNames, DeadLetterPublisher, FileEventLog, type ConsumedEvent } from '@vsearch/event-log';
import { catalogExpectation } from './catalog-expectation';

const topics = catalogTopicNames('');

function upsert(productId: string, version: number): string {
  return JSON.stringify({
    type: 'product.upserted',
    productId,
    version,
    title: `Product ${productId}`,
    categories: ['shoes'],
    price: { amount: 10, currency: 'EUR' },
    inStock: true,
    images: [{ id: `${productId}-1`, url: `https://img.example/${productId}.jpg` }],
    occurredAt: '2025-03-01T10:00:00Z',
  });
}

function deleted(productId: string, version: number): string {
  return JSON.stringify({ type: 'product.deleted', productId, version, occurredAt: '2025-03-01T10:00:00Z' });
}

describe(catalogExpectation.name, () => {
  let dir: string;
  let log: FileEventLog;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'catalog-expectation-'));
    log = new FileEventLog({ dir, sync: false });
    await log.ensureTopics([{ topic: topics.products, partitions: 3 }, { topic: topics.deadLetters }]);
  });

  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = (productId: string, value: string) => log.publish(topics.products, [{ key: productId, value }]);
  const deadLetter = (productId: string, value: string) =>
    new DeadLetterPublisher(log, topics.deadLetters).publishDeadLetter(
      { topic: topics.products, partition: 0, offset: '0', key: productId, value: Buffer.from(value), headers: {}, timestamp: 0 } satisfies ConsumedEvent,
      { stage: 'fetch', errorCode: 'http_status', reason: '404' },
    );

  it('counts the products whose latest version is an upsert: a delete removes, an older event does not count', async () => {
    await publish('a', upsert('a', 1));
    await publish('b', upsert('b', 1));
    await publish('b', deleted('b', 2));
    await publish('c', upsert('c', 3));
    await publish('c', deleted('c', 2));
    await publish('bad', '{oops');
    expect(await catalogExpectation(log, topics)).toEqual({ liveProducts: 2, deadLettered: 0, expectedProducts: 2 });
  });

  it('leaves out a product whose latest version was dead-lettered, until a replay of it was indexed', async () => {
    await publish('a', upsert('a', 1));
    await publish('d', upsert('d', 2));
    await deadLetter('d', upsert('d', 2));
    await deadLetter('a', upsert('a', 0));
    expect(await catalogExpectation(log, topics)).toEqual({ liveProducts: 2, deadLettered: 1, expectedProducts: 1 });
    // `vsearch dlq replay` republished it and this time it was indexed (no second dead letter).
    await publish('d', upsert('d', 2));
    expect(await catalogExpectation(log, topics)).toEqual({ liveProducts: 2, deadLettered: 0, expectedProducts: 2 });
  });
});
