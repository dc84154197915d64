import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishCatalogFile } from './catalog-file';
import { describeReplayFromOffsets } from './conformance/replay.conformance';
import { DeadLetterPublisher, DLQ_HEADERS } from './dead-letter.publisher';
import type { ConsumedEvent, EventConsumer, PartitionBatch, RetryLater } from './event-log.port';
import { FileEventLog } from './file.event-log';

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe(FileEventLog.name, () => {
  let dir: string;
  let consumers: EventConsumer[];

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'event-log-'));
    consumers = [];
  });

  afterEach(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  function newLog(): FileEventLog {
    return new FileEventLog({ dir, pollMs: 10, sync: false });
  }

  function collect(
    log: FileEventLog,
    groupId: string,
    onBatch?: (batch: PartitionBatch) => RetryLater | void,
  ): { seen: ConsumedEvent[]; consumer: EventConsumer } {
    const seen: ConsumedEvent[] = [];
    const consumer = log.createConsumer({ groupId, topics: ['t'], maxBatchSize: 3 });
    consumers.push(consumer);
    void consumer.start(async (batch, control) => {
      const outcome = onBatch?.(batch);
      if (outcome) return outcome;
      seen.push(...batch.messages);
      await control.commit(batch.messages[batch.messages.length - 1].offset);
    });
    return { seen, consumer };
  }

  it('delivers records in order with keys, values, headers and tombstones', async () => {
    const log = newLog();
    await log.publish('t', [
      { key: 'a', value: '{"n":1}', headers: { h: 'x' } },
      { key: 'b', value: Buffer.from([0xff, 0x00, 0xfe]) },
      { key: 'a', value: null },
    ]);
    const { seen } = collect(log, 'g');
    await until('3 messages', () => seen.length === 3);
    expect(seen.map((m) => [m.offset, m.key])).toEqual([
      ['0', 'a'],
      ['1', 'b'],
      ['2', 'a'],
    ]);
    expect(seen[0].value?.toString()).toBe('{"n":1}');
    expect(seen[0].headers).toEqual({ h: 'x' });
    expect([...(seen[1].value ?? [])]).toEqual([0xff, 0x00, 0xfe]);
    expect(seen[2].value).toBeNull();
  });

  it('resumes a group after its last commit, in another instance (another process)', async () => {
    const first = newLog();
    await first.publish(
      't',
      [1, 2, 3, 4].map((n) => ({ key: `k${n}`, value: String(n) })),
    );
    const a = collect(first, 'g');
    await until('4 messages', () => a.seen.length === 4);
    await a.consumer.stop();

    const second = newLog();
    await second.publish('t', [{ key: 'k5', value: '5' }]);
    const b = collect(second, 'g');
    await until('the new message', () => b.seen.length === 1);
    expect(b.seen[0].value?.toString()).toBe('5');
  });

  it('sees records appended by another instance while consuming', async () => {
    const consumerSide = newLog();
    const { seen } = collect(consumerSide, 'g');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await newLog().publish('t', [{ key: 'x', value: 'later' }]);
    await until('the appended record', () => seen.length === 1);
  });

  it('re-delivers from retryFrom after the delay, without skipping anything', async () => {
    const log = newLog();
    await log.publish(
      't',
      ['1', '2', '3'].map((value) => ({ key: value, value })),
    );
    let refusals = 2;
    const started = Date.now();
    const { seen } = collect(log, 'g', (batch) => (refusals-- > 0 ? { retryFrom: batch.messages[0].offset, delayMs: 50 } : undefined));
    await until('all after retries', () => seen.length === 3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(seen.map((m) => m.value?.toString())).toEqual(['1', '2', '3']);
  });

  it('does not commit once stopping, so the next consumer sees the unfinished batch again', async () => {
    const log = newLog();
    await log.publish('t', [{ key: 'a', value: '1' }]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const consumer = log.createConsumer({ groupId: 'g', topics: ['t'] });
    let handled = 0;
    await consumer.start(async (batch, control) => {
      handled++;
      await gate;
      await control.commit(batch.messages[0].offset);
    });
    await until('handler running', () => handled === 1);
    const stopping = consumer.stop();
    release();
    await stopping;
    expect(log.readCommitted('g')).toEqual({});
    const { seen } = collect(newLog(), 'g');
    await until('redelivery', () => seen.length === 1);
  });

  it('keeps the commit of every partition when partitions commit at the same time', async () => {
    const log = newLog();
    await log.ensureTopics([{ topic: 'multi', partitions: 4 }]);
    await log.publish(
      'multi',
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    const consumer = log.createConsumer({ groupId: 'g', topics: ['multi'], maxBatchSize: 1 });
    consumers.push(consumer);
    let seen = 0;
    await consumer.start(async (batch, control) => {
      seen += batch.messages.length;
      await control.commit(batch.messages[batch.messages.length - 1].offset);
    });
    await until('40 messages', () => seen === 40);
    await consumer.stop();
    const ends = await log.endOffsets('multi');
    const committed = log.readCommitted('g').multi;
    for (const [partition, end] of ends) expect(committed[String(partition)] ?? '0').toBe(end);
  });

  it('pauses and resumes a partition', async () => {
    const log = newLog();
    const { seen, consumer } = collect(log, 'g');
    consumer.pause('t');
    await log.publish('t', [{ key: 'a', value: '1' }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toHaveLength(0);
    consumer.resume('t');
    await until('delivery after resume', () => seen.length === 1);
  });

  it('replays a topic from the beginning up to the end offsets at the start', async () => {
    const log = newLog();
    await log.ensureTopics([{ topic: 'r', partitions: 2 }]);
    await log.publish(
      'r',
      ['a', 'b', 'c', 'd', 'e'].map((key) => ({ key, value: key })),
    );
    expect([...(await log.endOffsets('r')).values()].reduce((sum, end) => sum + Number(end), 0)).toBe(5);
    const replayed: string[] = [];
    const result = await log.replayTopic('r', async (batch) => {
      replayed.push(...batch.messages.map((m) => m.key ?? ''));
      if (replayed.length === 1) await log.publish('r', [{ key: 'late', value: 'late' }]);
    });
    expect(result.messages).toBe(5);
    expect(replayed.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('reports lag per partition', async () => {
    const log = newLog();
    await log.publish('t', [{ key: 'a', value: '1' }]);
    const { seen, consumer } = collect(log, 'g');
    await until('delivery', () => seen.length === 1);
    await until('lag 0', () => consumer.lag()[0]?.lag === 0);
    expect(consumer.lag()[0]).toMatchObject({ topic: 't', partition: 0, position: '1', highWatermark: '1' });
  });
});

describe(`${FileEventLog.name} replay`, () => {
  let dir: string;
  let log: FileEventLog;
  let topics = 0;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'event-log-'));
    log = new FileEventLog({ dir, sync: false });
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describeReplayFromOffsets({
    log: () => log,
    createTopic: async (partitions) => {
      const topic = `replay-${++topics}`;
      await log.ensureTopics([{ topic, partitions }]);
      return topic;
    },
  });
});

describe(DeadLetterPublisher.name, () => {
  it('writes the original key and value with reason, stage, code and origin headers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'event-log-'));
    const log = new FileEventLog({ dir, sync: false });
    const original: ConsumedEvent = {
      topic: 'catalog.products.v1',
      partition: 2,
      offset: '41',
      key: 'p1',
      value: Buffer.from('{oops'),
      headers: { trace: 't1' },
      timestamp: 1,
    };
    await new DeadLetterPublisher(log).publishDeadLetter(original, { stage: 'parse', errorCode: 'invalid_json', reason: 'Unexpected token o' });
    const [letter] = await log.reader('catalog.products.v1.dlq', 0).read(0, 10);
    expect(letter.key).toBe('p1');
    expect(letter.value?.toString()).toBe('{oops');
    expect(letter.headers).toMatchObject({
      trace: 't1',
      [DLQ_HEADERS.reason]: 'Unexpected token o',
      [DLQ_HEADERS.stage]: 'parse',
      [DLQ_HEADERS.errorCode]: 'invalid_json',
      [DLQ_HEADERS.originalTopic]: 'catalog.products.v1',
      [DLQ_HEADERS.originalPartition]: '2',
      [DLQ_HEADERS.originalOffset]: '41',
    });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('publishCatalogFile', () => {
  it('publishes each line keyed by its productId, and non-JSON lines keyless', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'event-log-'));
    const file = path.join(dir, 'catalog.jsonl');
    writeFileSync(file, '{"productId":"p1","n":1}\n\n{"productId":"p2"}\nnot json\n');
    const log = new FileEventLog({ dir: path.join(dir, 'log'), sync: false });
    await log.ensureTopics([{ topic: 'c', partitions: 1 }]);
    const count = await publishCatalogFile(log, file, { topic: 'c', batchSize: 2 });
    expect(count).toBe(3);
    const records = await log.reader('c', 0).read(0, 10);
    expect(records.map((r) => r.key)).toEqual(['p1', 'p2', null]);
    rmSync(dir, { recursive: true, force: true });
  });
});
