/**
 * real: the file system (a temp dir), the lock files; two FileEventLog instances stand for two
 * processes sharing the log. mock: nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConsumedEvent, EventConsumer } from './event-log.port';
import { FileEventLog, type FileEventLogOptions } from './file.event-log';

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const COMPACTED = { 'cleanup.policy': 'compact' };

describe(`${FileEventLog.name} compaction`, () => {
  let dir: string;
  let consumers: EventConsumer[];

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'event-log-compaction-'));
    consumers = [];
  });

  afterEach(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  function newLog(options: Partial<FileEventLogOptions> = {}): FileEventLog {
    return new FileEventLog({ dir, pollMs: 10, sync: false, compactAfterRecords: 1_000_000, ...options });
  }

  function partitionFile(topic: string): string {
    return path.join(dir, 'topics', topic, 'p0.jsonl');
  }

  function linesOf(topic: string): string[] {
    return readFileSync(partitionFile(topic), 'utf8').split('\n').filter(Boolean);
  }

  async function readAll(log: FileEventLog, topic: string): Promise<ConsumedEvent[]> {
    return log.reader(topic, 0).read(0, 1_000_000);
  }

  /** `count` records for `keys` keys in turn (value = its sequence number), one publish each. */
  async function publishRounds(log: FileEventLog, topic: string, count: number, keys: number, first = 0): Promise<void> {
    for (let i = first; i < first + count; i++) await log.publish(topic, [{ key: `k${i % keys}`, value: String(i) }]);
  }

  /** The records a compaction keeps: the newest per key (as the test published them). */
  function newestPerKey(records: ConsumedEvent[]): ConsumedEvent[] {
    const newest = new Map<string | null, ConsumedEvent>();
    for (const record of records) newest.set(record.key, record);
    return [...newest.values()].sort((a, b) => Number(a.offset) - Number(b.offset));
  }

  const summary = (records: ConsumedEvent[]) => records.map((r) => [r.offset, r.key, r.value?.toString() ?? null]);

  it('keeps only the newest record per key, at its offset, and the end offset stays', async () => {
    const log = newLog();
    await log.ensureTopics([{ topic: 'c', partitions: 1, config: COMPACTED }]);
    await log.publish('c', [{ key: null, value: 'keyless' }]);
    await publishRounds(log, 'c', 40, 3);
    const before = await readAll(log, 'c');
    const endBefore = await log.endOffsets('c');

    await log.compact('c', 0);

    const after = await readAll(log, 'c');
    expect(summary(after)).toEqual(summary(newestPerKey(before)));
    expect(after.map((r) => r.key)).toEqual([null, 'k1', 'k2', 'k0']);
    expect(await log.endOffsets('c')).toEqual(endBefore);
    expect(linesOf('c')).toHaveLength(1 + after.length);
    expect(JSON.parse(linesOf('c')[0])).toMatchObject({ format: 'vsearch-event-log/2', end: Number(endBefore.get(0)) });

    // Appends go on from the end offset, and a later compaction keeps every offset too.
    await log.publish('c', [{ key: 'k1', value: 'newer' }]);
    expect((await readAll(log, 'c')).at(-1)).toMatchObject({ offset: endBefore.get(0), key: 'k1' });
    await log.compact('c', 0);
    expect(summary(await readAll(log, 'c'))).toEqual([
      [after[0].offset, null, 'keyless'],
      [after[2].offset, 'k2', after[2].value?.toString()],
      [after[3].offset, 'k0', after[3].value?.toString()],
      [endBefore.get(0), 'k1', 'newer'],
    ]);
  });

  it('compacts by itself once the records appended since the last compaction reach the threshold, not before', async () => {
    const log = newLog({ compactAfterRecords: 10 });
    await log.ensureTopics([{ topic: 'c', partitions: 1, config: COMPACTED }]);
    await publishRounds(log, 'c', 9, 2);
    expect(linesOf('c')).toHaveLength(9);
    await publishRounds(log, 'c', 16, 2, 9);
    // Compacted when the 10th and the 20th record were appended; 21st to 25th appended after.
    const records = await readAll(log, 'c');
    expect(records.map((r) => r.offset)).toEqual(['18', '19', '20', '21', '22', '23', '24']);
    expect(records.map((r) => r.value?.toString())).toEqual(['18', '19', '20', '21', '22', '23', '24']);
    expect(await log.endOffsets('c')).toEqual(new Map([[0, '25']]));
  });

  it('drops tombstones older than delete.retention.ms, keeps younger ones and always the last record', async () => {
    const now = Date.now();
    const log = newLog({ now: () => now + 1_000 });
    await log.ensureTopics([
      { topic: 'expiring', partitions: 1, config: { ...COMPACTED, 'delete.retention.ms': '500' } },
      { topic: 'default', partitions: 1, config: COMPACTED },
    ]);
    for (const topic of ['expiring', 'default']) {
      await log.publish(topic, [
        { key: 'gone', value: 'v' },
        { key: 'kept', value: 'v' },
        { key: 'gone', value: null },
        { key: 'last', value: 'v' },
        { key: 'last', value: null },
      ]);
      await log.compact(topic, 0);
    }
    expect(summary(await readAll(log, 'expiring'))).toEqual([
      ['1', 'kept', 'v'],
      ['4', 'last', null],
    ]);
    expect(summary(await readAll(log, 'default'))).toEqual([
      ['1', 'kept', 'v'],
      ['2', 'gone', null],
      ['4', 'last', null],
    ]);
    expect(await log.endOffsets('expiring')).toEqual(new Map([[0, '5']]));
  });

  it('lets a group that committed midway continue with the kept records after its commit', async () => {
    const log = newLog();
    await log.ensureTopics([{ topic: 'c', partitions: 1, config: COMPACTED }]);
    await publishRounds(log, 'c', 30, 4);
    const published = await readAll(log, 'c');
    const first = log.createConsumer({ groupId: 'g', topics: ['c'], maxBatchSize: 4 });
    let seen = 0;
    await first.start(async (batch, control) => {
      if (seen >= 12) return;
      seen += batch.messages.length;
      await control.commit(batch.messages[batch.messages.length - 1].offset);
    });
    await until('12 committed', () => Number(log.readCommitted('g').c?.['0'] ?? 0) >= 12);
    await first.stop();
    const committed = Number(log.readCommitted('g').c['0']);

    await log.compact('c', 0);
    const second = log.createConsumer({ groupId: 'g', topics: ['c'], maxBatchSize: 4 });
    consumers.push(second);
    const delivered: ConsumedEvent[] = [];
    await second.start(async (batch, control) => {
      delivered.push(...batch.messages);
      await control.commit(batch.messages[batch.messages.length - 1].offset);
    });
    const expected = newestPerKey(published).filter((r) => Number(r.offset) >= committed);
    await until('the kept records after the commit', () => delivered.length >= expected.length);
    await until('the commit at the end', () => log.readCommitted('g').c['0'] === '30');
    expect(summary(delivered)).toEqual(summary(expected));
  });

  it('hands a consumer in another process every kept record once while compactions replace the file', async () => {
    const writer = newLog({ compactAfterRecords: 7 });
    await writer.ensureTopics([{ topic: 'c', partitions: 1, config: COMPACTED }]);
    const reader = newLog();
    const consumer = reader.createConsumer({ groupId: 'g', topics: ['c'], maxBatchSize: 5 });
    consumers.push(consumer);
    const delivered: ConsumedEvent[] = [];
    await consumer.start(async (batch, control) => {
      delivered.push(...batch.messages);
      await control.commit(batch.messages[batch.messages.length - 1].offset);
    });
    for (let round = 0; round < 40; round++) {
      await writer.publish(
        'c',
        [0, 1, 2].map((n) => ({ key: `k${(round + n) % 5}`, value: String(round * 3 + n) })),
      );
    }
    await until('the last record', () => delivered.at(-1)?.offset === '119');

    const offsets = delivered.map((r) => Number(r.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    for (const record of delivered) expect(record.value?.toString()).toBe(record.offset);
    const kept = await readAll(writer, 'c');
    expect(kept.length).toBeLessThan(120);
    expect(offsets).toEqual(expect.arrayContaining(kept.map((r) => Number(r.offset))));
  });

  it('loses no append of another process while compactions rewrite the file', async () => {
    const writers = [newLog({ compactAfterRecords: 5 }), newLog({ compactAfterRecords: 5 })];
    await writers[0].ensureTopics([{ topic: 'c', partitions: 1, config: COMPACTED }]);
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let i = 0; i < 60; i++) await writer.publish('c', [{ key: `w${w}-k${i % 3}`, value: String(i) }]);
      }),
    );
    expect(await writers[0].endOffsets('c')).toEqual(new Map([[0, '120']]));
    await writers[0].compact('c', 0);
    const newest = new Map((await readAll(writers[1], 'c')).map((r) => [r.key, r.value?.toString()]));
    expect(newest).toEqual(
      new Map([
        ['w0-k0', '57'],
        ['w0-k1', '58'],
        ['w0-k2', '59'],
        ['w1-k0', '57'],
        ['w1-k1', '58'],
        ['w1-k2', '59'],
      ]),
    );
  });

  it('leaves topics without cleanup.policy=compact as they are', async () => {
    const log = newLog({ compactAfterRecords: 5 });
    await log.ensureTopics([{ topic: 'plain', partitions: 1 }]);
    await publishRounds(log, 'plain', 20, 2);
    expect(await readAll(log, 'plain')).toHaveLength(20);
    expect(linesOf('plain')[0]).toMatch(/^\{"k":/);
    expect(existsSync(`${partitionFile('plain')}.lock`)).toBe(false);
    await expect(log.compact('plain', 0)).rejects.toThrow('plain is not a compacted topic (cleanup.policy=compact)');
  });

  it('recovers from a compaction that crashed before its rename (its temporary file and lock left behind) when the partition is next opened', async () => {
    const first = newLog();
    await first.ensureTopics([{ topic: 'c', partitions: 1, config: COMPACTED }]);
    await publishRounds(first, 'c', 12, 3);
    const before = await readAll(first, 'c');
    const leftover = `${partitionFile('c')}.compacting`;
    writeFileSync(leftover, '{"format":"vsearch-event-log/2","end":12,"compaction":"crashed"}\n{"o":11,"k":"k2"');
    // The crashed process held the partition's lock: its lock file was last refreshed a minute ago.
    const lockFile = `${partitionFile('c')}.lock`;
    mkdirSync(lockFile);
    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lockFile, aMinuteAgo, aMinuteAgo);

    const restarted = newLog({ compactAfterRecords: 12 });
    const replayed: ConsumedEvent[] = [];
    await restarted.replayTopic('c', async (batch) => void replayed.push(...batch.messages));
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(lockFile)).toBe(false);
    // Opening found 12 records appended since the last compaction: it compacted them.
    expect(summary(replayed)).toEqual(summary(newestPerKey(before)));
    expect(await restarted.endOffsets('c')).toEqual(new Map([[0, '12']]));
  });

  it('refuses a partition file of a format it does not know, naming it', async () => {
    const log = newLog();
    await log.ensureTopics([{ topic: 'c', partitions: 1, config: COMPACTED }]);
    writeFileSync(partitionFile('c'), '{"format":"vsearch-event-log/3","end":0,"compaction":"x"}\n');
    await expect(readAll(log, 'c')).rejects.toThrow(`${partitionFile('c')}: unknown event log format "vsearch-event-log/3"`);
  });
});
