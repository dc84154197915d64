/**
 * real: an Apache Kafka broker (KAFKA_BROKERS, or tools/kafka/kafka.sh), kafkajs, DeadLetterPublisher.
 * mock: nothing. The test uses topics of its own.
 */
import { DeadLetterPublisher } from './dead-letter.publisher';
import { DeadLetterReader } from './dead-letter.reader';
import { REPLAYED_FROM_HEADER } from './dead-letter';
import type { ConsumedEvent } from './event-log.port';
import { KafkaEventLog } from './kafka.event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from './testing';

jest.setTimeout(120_000);

describe(`${DeadLetterReader.name} on Kafka`, () => {
  let log: KafkaEventLog;

  beforeAll(async () => {
    log = new KafkaEventLog({ brokers: (await kafkaBrokersForTests()).split(','), clientId: 'dead-letter-int' });
  });

  afterAll(async () => {
    await log.close();
  });

  it('lists dead letters with stable ids, counts them per reason, and replays the chosen ones to the products topic', async () => {
    const prefix = uniqueTopicPrefix('dlq');
    const topics = { products: `${prefix}catalog.products.v1`, deadLetters: `${prefix}catalog.products.v1.dlq` };
    await log.ensureTopics([
      { topic: topics.products, partitions: 3 },
      { topic: topics.deadLetters, partitions: 1 },
    ]);
    const publisher = new DeadLetterPublisher(log, topics.deadLetters);
    const original = (productId: string, version: number): ConsumedEvent => ({
      topic: topics.products,
      partition: 1,
      offset: '5',
      key: productId,
      value: Buffer.from(JSON.stringify({ type: 'product.upserted', productId, version })),
      headers: {},
      timestamp: Date.now(),
    });
    await publisher.publishDeadLetter(original('p-1', 1), { stage: 'fetch', errorCode: 'http_status', reason: 'image host said 503' });
    await publisher.publishDeadLetter(original('p-2', 2), { stage: 'parse', errorCode: 'schema_violation', reason: 'price: required' });
    const reader = new DeadLetterReader(log, topics);

    const letters = await reader.listDeadLetters();
    expect(letters.map((letter) => `${letter.id} ${letter.productId}@${letter.version} ${letter.stage}/${letter.errorCode}`)).toEqual([
      '0-0 p-1@1 fetch/http_status',
      '0-1 p-2@2 parse/schema_violation',
    ]);
    expect((await reader.findDeadLetter('0-1'))?.reason).toBe('price: required');
    expect(await reader.countByReason()).toEqual([
      { errorCode: 'http_status', stage: 'fetch', count: 1 },
      { errorCode: 'schema_violation', stage: 'parse', count: 1 },
    ]);

    const replay = await reader.replayDeadLetters({ reason: 'http_status' });
    expect(replay.republished.map((letter) => letter.id)).toEqual(['0-0']);
    const republished: ConsumedEvent[] = [];
    await log.replayTopic(topics.products, async (batch) => void republished.push(...batch.messages));
    expect(republished.map((event) => [event.key, event.value?.toString(), event.headers[REPLAYED_FROM_HEADER]])).toEqual([
      ['p-1', JSON.stringify({ type: 'product.upserted', productId: 'p-1', version: 1 }), '0-0'],
    ]);
  });
});
