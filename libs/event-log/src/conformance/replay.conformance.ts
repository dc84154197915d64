/**
 * How every EventLog adapter replays a topic from given offsets (`ReplayOptions.from`), as jest
 * cases run against each adapter: the embedded file log in its unit test, a real Kafka broker in
 * its integration test. Partition assignment differs between adapters, so the cases learn where
 * records landed from a full replay and never assume it.
 */
import type { EventLog } from '../event-log.port';

export interface ReplayConformanceOptions {
  /** The adapter under test (opened). */
  log: () => EventLog;
  /** Creates a new, empty topic with `partitions` partitions and returns its name. */
  createTopic: (partitions: number) => Promise<string>;
}

interface Replayed {
  partition: number;
  offset: string;
  value: string;
}

async function replayAll(log: EventLog, topic: string, from?: ReadonlyMap<number, string>): Promise<{ messages: number; records: Replayed[] }> {
  const records: Replayed[] = [];
  const { messages } = await log.replayTopic(
    topic,
    async (batch) => void records.push(...batch.messages.map((m) => ({ partition: m.partition, offset: m.offset, value: m.value?.toString() ?? '' }))),
    { from, maxBatchSize: 3 },
  );
  return { messages, records: records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset)) };
}

async function topicWithRecords(options: ReplayConformanceOptions): Promise<{ topic: string; all: Replayed[]; ends: Map<number, string> }> {
  const topic = await options.createTopic(2);
  await options.log().publish(
    topic,
    Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
  );
  const { records: all } = await replayAll(options.log(), topic);
  return { topic, all, ends: await options.log().endOffsets(topic) };
}

/** The partition holding the most records (at least 6 of the 12). */
function fullestPartition(records: Replayed[]): number {
  const counts = new Map<number, number>();
  for (const record of records) counts.set(record.partition, (counts.get(record.partition) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

export function describeReplayFromOffsets(options: ReplayConformanceOptions): void {
  describe('replayTopic from given offsets', () => {
    it('reads exactly the records at and after the given offset, and other partitions from their beginning', async () => {
      const { topic, all } = await topicWithRecords(options);
      expect(all).toHaveLength(12);
      const partition = fullestPartition(all);
      const own = all.filter((record) => record.partition === partition);
      const from = own[Math.floor(own.length / 2)].offset;
      const expected = all.filter((record) => record.partition !== partition || BigInt(record.offset) >= BigInt(from));
      expect(expected.length).toBeLessThan(all.length);

      const replayed = await replayAll(options.log(), topic, new Map([[partition, from]]));
      expect(replayed.records).toEqual(expected);
      expect(replayed.messages).toBe(expected.length);
    });

    it('reads nothing when every partition starts at its end offset', async () => {
      const { topic, ends } = await topicWithRecords(options);
      const replayed = await replayAll(options.log(), topic, ends);
      expect(replayed).toEqual({ messages: 0, records: [] });
    });

    it('refuses offsets beyond the end, negative or not numbers, and partitions the topic lacks, naming them', async () => {
      const { topic, all, ends } = await topicWithRecords(options);
      const partition = fullestPartition(all);
      const end = String(ends.get(partition));
      const refused = (from: Map<number, string>) => options.log().replayTopic(topic, () => Promise.reject(new Error('no batch may be handed')), { from });
      await expect(refused(new Map([[partition, String(BigInt(end) + 1n)]]))).rejects.toThrow(
        `offset ${BigInt(end) + 1n} for partition ${partition} is beyond its end offset ${end}`,
      );
      await expect(refused(new Map([[partition, '-1']]))).rejects.toThrow(`offset "-1" for partition ${partition} is not a non-negative integer`);
      await expect(refused(new Map([[partition, 'seven']]))).rejects.toThrow(`offset "seven" for partition ${partition} is not a non-negative integer`);
      await expect(refused(new Map([[7, '0']]))).rejects.toThrow('partition 7 does not exist');
    });
  });
}
