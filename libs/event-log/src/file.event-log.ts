/**
 * The embedded event log for the one-machine mode (`npm start` without Kafka): one append-only
 * JSONL file per topic partition under `<dir>/topics/`, committed offsets per consumer group
 * under `<dir>/groups/`, both on disk so a CLI process can publish while the ingestion
 * process consumes, and a restart resumes where the group left off.
 *
 * Appends are single `write(2)` calls on an O_APPEND descriptor (atomic against other
 * appenders on a local file system); readers only take complete lines. One consumer process
 * per group is assumed (no group coordination on one machine).
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';
import {
  EventLog,
  type BatchHandler,
  type ConsumedEvent,
  type ConsumerOptions,
  type EventConsumer,
  type EventRecord,
  type PartitionBatch,
  type PartitionLag,
  type ReplayOptions,
  type TopicSpec,
} from './event-log.port';
import { publishTraced } from './trace-context';

interface StoredLine {
  k: string | null;
  v?: string | null;
  b?: string;
  h?: Record<string, string>;
  t: number;
}

interface TopicMeta {
  partitions: number;
  config?: Record<string, string>;
}

const DEFAULT_POLL_MS = 100;

export interface FileEventLogOptions {
  /** Root directory, e.g. `DATA_DIR/event-log`. */
  dir: string;
  /** Partitions of topics created implicitly by a publish (default 1). */
  defaultPartitions?: number;
  /** How often consumers look for new lines (default 100 ms). */
  pollMs?: number;
  /** fdatasync after each publish (default true). */
  sync?: boolean;
}

export class FileEventLog extends EventLog {
  readonly kind = 'embedded' as const;
  private readonly consumers = new Set<FileEventConsumer>();

  constructor(private readonly options: FileEventLogOptions) {
    super();
    fs.mkdirSync(path.join(options.dir, 'topics'), { recursive: true });
    fs.mkdirSync(path.join(options.dir, 'groups'), { recursive: true });
  }

  get pollMs(): number {
    return this.options.pollMs ?? DEFAULT_POLL_MS;
  }

  async publish(topic: string, records: EventRecord[]): Promise<void> {
    if (records.length === 0) return;
    await publishTraced('embedded', topic, records, (traced) => this.append(topic, traced));
  }

  private async append(topic: string, records: EventRecord[]): Promise<void> {
    const meta = this.topicMeta(topic) ?? this.createTopic({ topic });
    const byPartition = new Map<number, string[]>();
    const now = Date.now();
    for (const record of records) {
      const partition = record.key === null ? 0 : partitionForKey(record.key, meta.partitions);
      const line: StoredLine = { k: record.key, t: now };
      if (record.value === null) line.v = null;
      else if (typeof record.value === 'string') line.v = record.value;
      else if (isUtf8(record.value)) line.v = record.value.toString('utf8');
      else line.b = record.value.toString('base64');
      if (record.headers && Object.keys(record.headers).length > 0) line.h = record.headers;
      const lines = byPartition.get(partition) ?? [];
      lines.push(JSON.stringify(line));
      byPartition.set(partition, lines);
    }
    for (const [partition, lines] of byPartition) {
      const handle = await fsp.open(this.partitionFile(topic, partition), 'a');
      try {
        const buffer = Buffer.from(lines.join('\n') + '\n', 'utf8');
        // One write call: appends from several processes never interleave inside a line.
        let written = 0;
        while (written < buffer.length) {
          const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
          written += bytesWritten;
        }
        if (this.options.sync !== false) await handle.datasync();
      } finally {
        await handle.close();
      }
    }
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (!this.topicMeta(spec.topic)) this.createTopic(spec);
    }
  }

  createConsumer(options: ConsumerOptions): EventConsumer {
    const consumer = new FileEventConsumer(this, options, () => this.consumers.delete(consumer));
    this.consumers.add(consumer);
    return consumer;
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const meta = this.topicMeta(topic);
    const result = new Map<number, string>();
    if (!meta) return result;
    for (let partition = 0; partition < meta.partitions; partition++) {
      const reader = this.reader(topic, partition);
      await reader.refresh();
      result.set(partition, String(reader.end));
    }
    return result;
  }

  async replayTopic(topic: string, handler: (batch: PartitionBatch) => Promise<void>, options: ReplayOptions = {}): Promise<{ messages: number }> {
    const ends = await this.endOffsets(topic);
    let messages = 0;
    for (const [partition, end] of ends) {
      const reader = this.reader(topic, partition);
      let position = 0;
      const until = Number(end);
      while (position < until) {
        if (options.signal?.aborted) throw new Error('replay aborted');
        const batch = await reader.read(position, Math.min(options.maxBatchSize ?? 256, until - position));
        await handler({ topic, partition, messages: batch, highWatermark: end });
        position += batch.length;
        messages += batch.length;
      }
    }
    return { messages };
  }

  async isHealthy(): Promise<boolean> {
    try {
      await fsp.access(path.join(this.options.dir, 'topics'), fs.constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
  }

  topicMeta(topic: string): TopicMeta | null {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.topicDir(topic), 'meta.json'), 'utf8')) as TopicMeta;
    } catch {
      return null;
    }
  }

  reader(topic: string, partition: number): PartitionReader {
    return new PartitionReader(topic, partition, this.partitionFile(topic, partition));
  }

  readCommitted(groupId: string): Record<string, Record<string, string>> {
    try {
      return JSON.parse(fs.readFileSync(this.groupFile(groupId), 'utf8')) as Record<string, Record<string, string>>;
    } catch {
      return {};
    }
  }

  async writeCommitted(groupId: string, offsets: Record<string, Record<string, string>>): Promise<void> {
    const file = this.groupFile(groupId);
    const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    await fsp.writeFile(temp, JSON.stringify(offsets));
    await fsp.rename(temp, file);
  }

  private createTopic(spec: TopicSpec): TopicMeta {
    const meta: TopicMeta = { partitions: spec.partitions ?? this.options.defaultPartitions ?? 1, config: spec.config };
    const dir = this.topicDir(spec.topic);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'meta.json');
    try {
      // wx: when two processes race, the first definition wins.
      fs.writeFileSync(file, JSON.stringify(meta), { flag: 'wx' });
    } catch {
      return this.topicMeta(spec.topic) ?? meta;
    }
    for (let partition = 0; partition < meta.partitions; partition++) fs.closeSync(fs.openSync(this.partitionFile(spec.topic, partition), 'a'));
    return meta;
  }

  private topicDir(topic: string): string {
    return path.join(this.options.dir, 'topics', encodeURIComponent(topic));
  }

  private partitionFile(topic: string, partition: number): string {
    return path.join(this.topicDir(topic), `p${partition}.jsonl`);
  }

  private groupFile(groupId: string): string {
    return path.join(this.options.dir, 'groups', `${encodeURIComponent(groupId)}.json`);
  }
}

/** Incrementally indexes the complete lines of one partition file (byte start of each offset). */
class PartitionReader {
  private readonly starts: number[] = [];
  private indexedBytes = 0;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
    private readonly file: string,
  ) {}

  /** Number of complete messages (the log end offset). */
  get end(): number {
    return this.starts.length;
  }

  async refresh(): Promise<void> {
    let size: number;
    try {
      size = (await fsp.stat(this.file)).size;
    } catch {
      return;
    }
    if (size <= this.indexedBytes) return;
    const handle = await fsp.open(this.file, 'r');
    try {
      const chunk = Buffer.alloc(size - this.indexedBytes);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, this.indexedBytes);
      let lineStart = 0;
      for (let i = 0; i < bytesRead; i++) {
        if (chunk[i] === 0x0a) {
          this.starts.push(this.indexedBytes + lineStart);
          lineStart = i + 1;
        }
      }
      this.indexedBytes += lineStart;
    } finally {
      await handle.close();
    }
  }

  /** Up to `max` messages from `offset` (complete lines only). */
  async read(offset: number, max: number): Promise<ConsumedEvent[]> {
    if (offset >= this.end) await this.refresh();
    const last = Math.min(this.end, offset + max);
    if (offset >= last) return [];
    const from = this.starts[offset];
    const to = last < this.starts.length ? this.starts[last] : this.indexedBytes;
    const handle = await fsp.open(this.file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(to - from);
      await handle.read(buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
    const lines = text.split('\n');
    const events: ConsumedEvent[] = [];
    for (let i = 0; i < last - offset; i++) {
      const stored = JSON.parse(lines[i]) as StoredLine;
      events.push({
        topic: this.topic,
        partition: this.partition,
        offset: String(offset + i),
        key: stored.k,
        value: stored.b !== undefined ? Buffer.from(stored.b, 'base64') : stored.v === null || stored.v === undefined ? null : Buffer.from(stored.v, 'utf8'),
        headers: stored.h ?? {},
        timestamp: stored.t,
      });
    }
    return events;
  }
}

class FileEventConsumer implements EventConsumer {
  private running = false;
  private readonly paused = new Map<string, Set<number> | 'all'>();
  private readonly lags = new Map<string, PartitionLag>();
  private loops: Promise<void>[] = [];
  private committed: Record<string, Record<string, string>> = {};
  private writing: Promise<void> = Promise.resolve();
  private wake: (() => void)[] = [];

  constructor(
    private readonly log: FileEventLog,
    private readonly options: ConsumerOptions,
    private readonly onStopped: () => void,
  ) {}

  async start(handler: BatchHandler): Promise<void> {
    if (this.running) throw new Error('consumer already started');
    this.running = true;
    await this.log.ensureTopics(this.options.topics.map((topic) => ({ topic })));
    const committed = this.log.readCommitted(this.options.groupId);
    this.committed = committed;
    for (const topic of this.options.topics) {
      const meta = this.log.topicMeta(topic);
      for (let partition = 0; partition < (meta?.partitions ?? 1); partition++) {
        const reader = this.log.reader(topic, partition);
        await reader.refresh();
        const stored = committed[topic]?.[String(partition)];
        const start = stored !== undefined ? Number(stored) : this.options.fromBeginning === false ? reader.end : 0;
        this.loops.push(this.partitionLoop(topic, partition, reader, start, handler));
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of this.wake.splice(0)) wake();
    await Promise.allSettled(this.loops);
    this.loops = [];
    this.onStopped();
  }

  pause(topic: string, partitions?: number[]): void {
    if (!partitions) {
      this.paused.set(topic, 'all');
      return;
    }
    const current = this.paused.get(topic);
    if (current === 'all') return;
    const set = current ?? new Set<number>();
    for (const partition of partitions) set.add(partition);
    this.paused.set(topic, set);
  }

  resume(topic: string, partitions?: number[]): void {
    const current = this.paused.get(topic);
    if (!current) return;
    if (!partitions || current === 'all') {
      this.paused.delete(topic);
    } else {
      for (const partition of partitions) current.delete(partition);
    }
    for (const wake of this.wake.splice(0)) wake();
  }

  lag(): PartitionLag[] {
    return [...this.lags.values()];
  }

  /**
   * Partitions commit concurrently: the group's offsets live in memory and are written whole,
   * one write at a time, so no partition's commit overwrites another's with an older value.
   */
  private persistCommit(topic: string, partition: number, next: number): Promise<void> {
    this.committed[topic] = { ...(this.committed[topic] ?? {}), [String(partition)]: String(next) };
    const write = this.writing.then(() => this.log.writeCommitted(this.options.groupId, this.committed));
    this.writing = write.catch(() => undefined);
    return write;
  }

  private isPaused(topic: string, partition: number): boolean {
    const current = this.paused.get(topic);
    return current === 'all' || (current instanceof Set && current.has(partition));
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake.push(done);
    });
  }

  private async partitionLoop(topic: string, partition: number, reader: PartitionReader, start: number, handler: BatchHandler): Promise<void> {
    let position = start;
    let committedPosition = start;
    let advancedPosition = start;
    const key = `${topic}/${partition}`;
    while (this.running) {
      if (this.isPaused(topic, partition)) {
        await this.sleep(this.log.pollMs);
        continue;
      }
      const messages = await reader.read(position, this.options.maxBatchSize ?? 64);
      this.lags.set(key, { topic, partition, position: String(position), highWatermark: String(reader.end), lag: reader.end - position });
      if (messages.length === 0) {
        await this.sleep(this.log.pollMs);
        continue;
      }
      const control = {
        commit: async (offset: string) => {
          if (!this.running) return;
          const next = Number(offset) + 1;
          if (next <= committedPosition) return;
          committedPosition = next;
          advancedPosition = Math.max(advancedPosition, next);
          await this.persistCommit(topic, partition, next);
        },
        advance: (offset: string) => {
          if (this.running) advancedPosition = Math.max(advancedPosition, Number(offset) + 1);
        },
        isActive: () => this.running,
        heartbeat: async () => undefined,
      };
      let outcome;
      try {
        outcome = await handler({ topic, partition, messages, highWatermark: String(reader.end) }, control);
      } catch (error) {
        // A handler that throws is retried from the last commit after a pause, like Kafka's restart.
        process.emitWarning(`event-log handler failed on ${key}: ${(error as Error).message}`);
        outcome = { retryFrom: String(committedPosition), delayMs: 1000 };
      }
      if (outcome) {
        position = Number(outcome.retryFrom);
        advancedPosition = Math.max(committedPosition, position);
        this.pause(topic, [partition]);
        const resumeAfter = outcome.delayMs;
        setTimeout(() => this.resume(topic, [partition]), resumeAfter).unref();
      } else {
        // Messages the handler neither committed, advanced past nor asked to retry are read again (as kafkajs does with unresolved offsets).
        position = Math.max(committedPosition, advancedPosition);
      }
      this.lags.set(key, { topic, partition, position: String(position), highWatermark: String(reader.end), lag: reader.end - position });
    }
  }
}

/** FNV-1a: a stable key → partition mapping for the embedded log. */
function partitionForKey(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

function isUtf8(buffer: Buffer): boolean {
  return Buffer.from(buffer.toString('utf8'), 'utf8').equals(buffer);
}
