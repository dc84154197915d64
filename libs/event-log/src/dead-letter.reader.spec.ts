/**
 * real: the embedded file event log in a temporary directory, DeadLetterPublisher.
 * mock: nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { DeadLetterReader } from './dead-letter.reader';
import { REPLAYED_FROM_HEADER } from './dead-letter';
import type { ConsumedEvent } from './event-log.port';
import { FileEventLog } from './file.event-log';

const topics = { products: 'catalog.products.v1', deadLetters: 'catalog.products.v1.dlq' };

function original(productId: string, version: number, offset: number): ConsumedEvent {
  return {
    topic: topics.products,
    partition: 0,
    offset: String(offset),
    key: productId,
    value: Buffer.from(JSON.stringify({ type: 'product.upserted', productId, version })),
    headers: { 'x-source': 'pim' },
    timestamp: Date.now(),
  };
}

async function readAll(log: FileEventLog, topic: string): Promise<ConsumedEvent[]> {
  const events: ConsumedEvent[] = [];
  await log.replayTopic(topic, async (batch) => void events.push(...batch.messages));
  return events;
}

describe(DeadLetterReader.name, () => {
  let dir: string;
  let log: FileEventLog;
  let reader: DeadLetterReader;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dead-letters-'));
    log = new FileEventLog({ dir, sync: false });
    await log.ensureTopics([{ topic: topics.products, partitions: 3 }, { topic: topics.deadLetters }]);
    reader = new DeadLetterReader(log, topics);
    const publisher = new DeadLetterPublisher(log, topics.deadLetters);
    await publisher.publishDeadLetter(original('p-1', 1, 10), { stage: 'fetch', errorCode: 'refused_address', reason: 'loopback' });
    await publisher.publishDeadLetter(original('p-2', 4, 11), { stage: 'parse', errorCode: 'schema_violation', reason: 'price: required' });
    await publisher.publishDeadLetter(original('p-3', 2, 12), { stage: 'fetch', errorCode: 'refused_address', reason: 'loopback' });
  });

  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every dead letter with an id that stays the same on every read', async () => {
    const first = await reader.listDeadLetters();
    expect(first.map((letter) => `${letter.id} ${letter.productId}@${letter.version} ${letter.errorCode}`)).toEqual([
      '0-0 p-1@1 refused_address',
      '0-1 p-2@4 schema_violation',
      '0-2 p-3@2 refused_address',
    ]);
    expect((await reader.listDeadLetters()).map((letter) => letter.id)).toEqual(first.map((letter) => letter.id));
  });

  it('filters by reason and finds one letter by id', async () => {
    expect((await reader.listDeadLetters({ reason: 'refused_address' })).map((letter) => letter.productId)).toEqual(['p-1', 'p-3']);
    expect((await reader.findDeadLetter('0-1'))?.reason).toBe('price: required');
    expect(await reader.findDeadLetter('0-9')).toBeUndefined();
  });

  it('counts dead letters per reason, most frequent first', async () => {
    expect(await reader.countByReason()).toEqual([
      { errorCode: 'refused_address', stage: 'fetch', count: 2 },
      { errorCode: 'schema_violation', stage: 'parse', count: 1 },
    ]);
  });

  it('republishes the original events of the matching letters to the products topic, on the key partition', async () => {
    const replay = await reader.replayDeadLetters({ reason: 'refused_address' });
    expect(replay.republished.map((letter) => letter.id)).toEqual(['0-0', '0-2']);
    const republished = await readAll(log, topics.products);
    expect(republished.map((event) => [event.key, JSON.parse(event.value!.toString()).version, event.headers])).toEqual(
      expect.arrayContaining([
        ['p-1', 1, { 'x-source': 'pim', [REPLAYED_FROM_HEADER]: '0-0' }],
        ['p-3', 2, { 'x-source': 'pim', [REPLAYED_FROM_HEADER]: '0-2' }],
      ]),
    );
    expect(republished).toHaveLength(2);
  });

  it('publishes nothing in a dry run', async () => {
    const replay = await reader.replayDeadLetters({ id: '0-1' }, { dryRun: true });
    expect(replay.republished.map((letter) => letter.id)).toEqual(['0-1']);
    expect(await readAll(log, topics.products)).toEqual([]);
  });

  it('republishes one product version once when it was dead-lettered twice', async () => {
    await new DeadLetterPublisher(log, topics.deadLetters).publishDeadLetter(original('p-1', 1, 10), {
      stage: 'fetch',
      errorCode: 'refused_address',
      reason: 'loopback again',
    });
    const replay = await reader.replayDeadLetters({ reason: 'refused_address' });
    expect(replay.republished.map((letter) => letter.id)).toEqual(['0-0', '0-2']);
    expect(replay.duplicates.map((letter) => letter.id)).toEqual(['0-3']);
    expect(await readAll(log, topics.products)).toHaveLength(2);
  });
});
