/**
 * real: an Apache Kafka broker (KAFKA_BROKERS, or tools/kafka/kafka.sh), kafkajs.
 * mock: nothing. Each test uses topics of its own.
 */
import { describeReplayFromOffsets } from './conformance/replay.conformance';
import type { ConsumedEvent, EventConsumer, RetryLater } from './event-log.port';
import { KafkaEventLog } from './kafka.event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from './testing';

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

jest.setTimeout(60_000);

describe(KafkaEventLog.name, () => {
  let log: KafkaEventLog;
  let consumers: EventConsumer[] = [];

  beforeAll(async () => {
    log = new KafkaEventLog({ brokers: (await kafkaBrokersForTests()).split(','), clientId: 'event-log-int' });
  });

  afterEach(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    consumers = [];
  });

  afterAll(async () => {
    await log.close();
  });

  async function consume(topic: string, groupId: string, decide?: (message: ConsumedEvent) => RetryLater | void): Promise<ConsumedEvent[]> {
    const seen: ConsumedEvent[] = [];
    const consumer = log.createConsumer({ groupId, topics: [topic], partitionsConsumedConcurrently: 3 });
    consumers.push(consumer);
    await consumer.start(async (batch, control) => {
      for (const message of batch.messages) {
        const outcome = decide?.(message);
        if (outcome) return outcome;
        seen.push(message);
        await control.commit(message.offset);
      }
    });
    return seen;
  }

  it('creates compacted topics, and delivers every record with per-key order kept', async () => {
    const topic = `${uniqueTopicPrefix('order')}products`;
    await log.ensureTopics([{ topic, partitions: 3, config: { 'cleanup.policy': 'compact' } }]);
    const records = Array.from({ length: 30 }, (_, i) => ({ key: `p${i % 5}`, value: JSON.stringify({ n: i }), headers: { i: String(i) } }));
    await log.publish(topic, records);
    const seen = await consume(topic, `${topic}-g`);
    await until('30 records', () => seen.length === 30);
    for (let key = 0; key < 5; key++) {
      const ns = seen.filter((m) => m.key === `p${key}`).map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
      expect(ns).toHaveLength(6);
    }
    expect(seen.find((m) => m.headers.i === '7')?.key).toBe('p2');
  });

  it('goes back to retryFrom and pauses, then delivers everything once, and a new member resumes after the commits', async () => {
    const topic = `${uniqueTopicPrefix('retry')}t`;
    await log.ensureTopics([{ topic, partitions: 1 }]);
    await log.publish(
      topic,
      ['a', 'b', 'c', 'd'].map((value) => ({ key: 'k', value })),
    );
    let refusals = 2;
    const group = `${topic}-g`;
    const seen = await consume(topic, group, (message) => {
      if (message.value!.toString() === 'c' && refusals-- > 0) return { retryFrom: message.offset, delayMs: 200 };
    });
    await until('4 records', () => seen.length === 4);
    expect(seen.map((m) => m.value!.toString())).toEqual(['a', 'b', 'c', 'd']);
    await consumers.pop()!.stop();

    await log.publish(topic, [{ key: 'k', value: 'e' }]);
    const after = await consume(topic, group);
    await until('the new record', () => after.length === 1);
    expect(after[0].value!.toString()).toBe('e');
  });

  it('replays a topic from the beginning to the end offsets taken at the start', async () => {
    const topic = `${uniqueTopicPrefix('replay')}t`;
    await log.ensureTopics([{ topic, partitions: 3 }]);
    await log.publish(
      topic,
      Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    const ends = await log.endOffsets(topic);
    expect([...ends.values()].reduce((sum, end) => sum + Number(end), 0)).toBe(12);
    const replayed: string[] = [];
    let published = false;
    const result = await log.replayTopic(topic, async (batch) => {
      replayed.push(...batch.messages.map((m) => m.value!.toString()));
      if (!published) {
        published = true;
        await log.publish(topic, [{ key: 'late', value: 'late' }]);
      }
    });
    expect(result.messages).toBe(12);
    expect(replayed.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  });

  describeReplayFromOffsets({
    log: () => log,
    createTopic: async (partitions) => {
      const topic = `${uniqueTopicPrefix('replay-from')}t`;
      await log.ensureTopics([{ topic, partitions }]);
      return topic;
    },
  });
});
