/**
 * The embedded event log for the one-machine mode (`npm start` without Kafka): one append-only
 * JSONL file per topic partition under `<dir>/topics/`, committed offsets per consumer group
 * under `<dir>/groups/`, both on disk so a CLI process can publish while the ingestion
 * process consumes, and a restart resumes where the group left off.
 *
 * Appends are single `write(2)` calls on an O_APPEND descriptor (atomic against other
 * appenders on a local file system); readers only take complete lines. One consumer process
 * per group is assumed (no group coordination on one machine).
 *
 * File format. Version 1 (no header): the record on line n has offset n. Topics with
 * `cleanup.policy=compact` are compacted (see `compactPartition`): the partition file is rewritten
 * as version 2, a header line `{"format":"vsearch-event-log/2","end":E,"compaction":id}` followed
 * by the kept records, each with its offset stored first (`{"o":12,...}`), all below E; records
 * appended after it carry no offset and number on from E, as in version 1. So appenders never need
 * to know offsets, a version-1 file reads as before, and offsets of kept records never change.
 * Several processes share the files, so appends to a compacted topic and its compaction take a
 * lock file per partition (proper-lockfile); readers notice the replaced file (inode and
 * compaction id) and index it again, and since they read by offset they neither miss nor repeat a
 * kept record.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { lock } from 'proper-lockfile';
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
  /** The offset, stored only in the compacted part of a version-2 file. */
  o?: number;
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
/** Records appended to a compacted partition since its last compaction that make it due again. */
const DEFAULT_COMPACT_AFTER_RECORDS = 10_000;
/** Kafka's default `delete.retention.ms`: how long a tombstone outlives the records it deleted. */
const DEFAULT_DELETE_RETENTION_MS = 24 * 60 * 60 * 1000;
const FORMAT_V2 = 'vsearch-event-log/2';
const HEADER_START = '{"format":';
const OFFSET_START = '{"o":';
const HEADER_PREFIX = Buffer.from(HEADER_START);
const OFFSET_PREFIX = Buffer.from(OFFSET_START);
/** Longest header line read back (format, end offset, compaction id). */
const HEADER_MAX_BYTES = 512;

interface FileHeader {
  format: string;
  /** The log end offset when the file was compacted: records appended later number on from here. */
  end: number;
  /** Changes with every compaction: a reader that sees another one indexes the file again. */
  compaction: string;
}

export interface FileEventLogOptions {
  /** Root directory, e.g. `DATA_DIR/event-log`. */
  dir: string;
  /** Partitions of topics created implicitly by a publish (default 1). */
  defaultPartitions?: number;
  /** How often consumers look for new lines (default 100 ms). */
  pollMs?: number;
  /** fdatasync after each publish (default true). */
  sync?: boolean;
  /**
   * A compacted topic's partition is compacted when it is first used by this process and after
   * appends, once this many records were appended since its last compaction (default 10,000).
   */
  compactAfterRecords?: number;
  /** The clock tombstone retention is measured with (tests). */
  now?: () => number;
}

export class FileEventLog extends EventLog {
  readonly kind = 'embedded' as const;
  private readonly consumers = new Set<FileEventConsumer>();
  /** Per partition file: this process's queue in front of the lock file (appends and compactions of compacted topics). */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Compacted partitions this process has opened (leftovers of a crashed compaction removed, compacted when due). */
  private readonly opened = new Map<string, Promise<void>>();
  /** Per compacted partition, a reader used only under its lock: counts the records appended since the last compaction. */
  private readonly tails = new Map<string, PartitionReader>();

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
      const buffer = Buffer.from(lines.join('\n') + '\n', 'utf8');
      if (!isCompacted(meta)) {
        await this.appendToFile(this.partitionFile(topic, partition), buffer);
        continue;
      }
      await this.openPartition(topic, partition);
      await this.exclusive(topic, partition, async () => {
        await this.appendToFile(this.partitionFile(topic, partition), buffer);
        await this.compactIfDue(topic, partition, meta);
      });
    }
  }

  private async appendToFile(file: string, buffer: Buffer): Promise<void> {
    const handle = await fsp.open(file, 'a');
    try {
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
    for (let partition = 0; partition < (this.topicMeta(topic)?.partitions ?? 0); partition++) await this.openPartition(topic, partition);
    const ends = await this.endOffsets(topic);
    const starts = this.replayStartOffsets(topic, ends, options.from);
    let messages = 0;
    for (const [partition, end] of ends) {
      const reader = this.reader(topic, partition);
      let position = Number(starts.get(partition) ?? 0n);
      const until = Number(end);
      while (position < until) {
        if (options.signal?.aborted) throw new Error('replay aborted');
        const batch = (await reader.read(position, options.maxBatchSize ?? 256)).filter((message) => Number(message.offset) < until);
        // Compaction may have removed the records left below the end offset.
        if (batch.length === 0) break;
        await handler({ topic, partition, messages: batch, highWatermark: end });
        position = Number(batch[batch.length - 1].offset) + 1;
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
    await Promise.allSettled(this.queues.values());
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

  /**
   * First use of a compacted partition by this process: a compaction that crashed before its
   * rename left its temporary file (the partition file itself is whole), which is removed; then the
   * partition is compacted if due. A no-op for other topics and after the first call.
   */
  async openPartition(topic: string, partition: number): Promise<void> {
    const meta = this.topicMeta(topic);
    if (!meta || !isCompacted(meta)) return;
    const key = `${topic}/${partition}`;
    let opening = this.opened.get(key);
    if (!opening) {
      opening = this.exclusive(topic, partition, async () => {
        await fsp.rm(compactionTempFile(this.partitionFile(topic, partition)), { force: true });
        await this.compactIfDue(topic, partition, meta);
      });
      this.opened.set(key, opening);
      opening.catch(() => this.opened.delete(key));
    }
    await opening;
  }

  /** Compacts a partition now (under its lock), whatever was appended since the last compaction. */
  async compact(topic: string, partition: number): Promise<void> {
    const meta = this.topicMeta(topic);
    if (!meta || !isCompacted(meta)) throw new Error(`${topic} is not a compacted topic (cleanup.policy=compact)`);
    await this.exclusive(topic, partition, () => this.compactPartition(topic, partition, meta));
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

  /** Runs `action` holding the partition's lock: after this process's earlier actions on it, and never alongside another process's. */
  private exclusive<T>(topic: string, partition: number, action: () => Promise<T>): Promise<T> {
    const file = this.partitionFile(topic, partition);
    const run = (this.queues.get(file) ?? Promise.resolve()).then(async () => {
      const release = await lock(file, PARTITION_LOCK);
      try {
        return await action();
      } finally {
        await release().catch(() => undefined);
      }
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(file, settled);
    void settled.then(() => {
      if (this.queues.get(file) === settled) this.queues.delete(file);
    });
    return run;
  }

  /** Under the partition's lock: compacts when enough records were appended since the last compaction. */
  private async compactIfDue(topic: string, partition: number, meta: TopicMeta): Promise<void> {
    const tail = await this.tail(topic, partition);
    if (tail.appendedSinceCompaction >= (this.options.compactAfterRecords ?? DEFAULT_COMPACT_AFTER_RECORDS))
      await this.compactPartition(topic, partition, meta);
  }

  /** Under the partition's lock: this process's reader of the partition's tail, up to date. */
  private async tail(topic: string, partition: number): Promise<PartitionReader> {
    const key = `${topic}/${partition}`;
    const tail = this.tails.get(key) ?? this.reader(topic, partition);
    this.tails.set(key, tail);
    await tail.refresh();
    return tail;
  }

  /**
   * Under the partition's lock: keeps the newest record per key (keyless records are all kept),
   * drops a newest record that is a tombstone once it is older than the topic's
   * `delete.retention.ms` (default 24 h, as Kafka) unless it is the partition's last record (so the
   * end offset stays readable), and rewrites the file in version 2 with every kept record's offset:
   * a temporary file written and fsynced, renamed over the partition file, the directory fsynced.
   */
  private async compactPartition(topic: string, partition: number, meta: TopicMeta): Promise<void> {
    const file = this.partitionFile(topic, partition);
    const state = await this.tail(topic, partition);
    const end = state.end;
    const bytes = state.completeBytes;
    const retentionMs = Number(meta.config?.['delete.retention.ms'] ?? DEFAULT_DELETE_RETENTION_MS);
    const now = (this.options.now ?? Date.now)();
    const newest = new Map<string, { offset: number; tombstone: boolean; timestamp: number }>();
    const keyless: number[] = [];
    for await (const { offset, line } of recordLines(file, bytes)) {
      const stored = JSON.parse(line) as StoredLine;
      if (stored.k === null) keyless.push(offset);
      else newest.set(stored.k, { offset, tombstone: stored.b === undefined && (stored.v === null || stored.v === undefined), timestamp: stored.t });
    }
    const kept = new Set(keyless);
    for (const record of newest.values()) {
      const expiredTombstone = record.tombstone && now - record.timestamp >= retentionMs;
      if (!expiredTombstone || record.offset === end - 1) kept.add(record.offset);
    }

    const temp = compactionTempFile(file);
    const header: FileHeader = { format: FORMAT_V2, end, compaction: randomUUID() };
    const out = await fsp.open(temp, 'w');
    try {
      let pending: string[] = [JSON.stringify(header)];
      let pendingBytes = 0;
      const flush = async () => {
        await out.write(pending.join('\n') + '\n');
        pending = [];
        pendingBytes = 0;
      };
      for await (const { offset, line, explicit } of recordLines(file, bytes)) {
        if (!kept.has(offset)) continue;
        const withOffset = explicit ? line : `{"o":${offset},${line.slice(1)}`;
        pending.push(withOffset);
        pendingBytes += withOffset.length;
        if (pendingBytes >= 1 << 20) await flush();
      }
      if (pending.length > 0) await flush();
      await out.sync();
    } finally {
      await out.close();
    }
    await fsp.rename(temp, file);
    await syncDirectory(path.dirname(file));
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

/**
 * Incrementally indexes the complete lines of one partition file: the offset and byte start of
 * each record. Every read indexes through the descriptor it reads with, so a file replaced by a
 * compaction (another inode or compaction id) is indexed again from its start, never read with
 * the byte positions of the file it replaced.
 */
class PartitionReader {
  private offsets: number[] = [];
  private starts: number[] = [];
  private indexedBytes = 0;
  /** The offset the next appended record gets. */
  private next = 0;
  private compactedEnd = 0;
  private identity: string | null = null;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
    private readonly file: string,
  ) {}

  /** The log end offset: the offset of the next record to be appended. */
  get end(): number {
    return this.next;
  }

  /** Records appended since the file was last compacted (all of them in a version-1 file). */
  get appendedSinceCompaction(): number {
    return this.next - this.compactedEnd;
  }

  /** Bytes of complete lines indexed. */
  get completeBytes(): number {
    return this.indexedBytes;
  }

  async refresh(): Promise<void> {
    const handle = await this.open();
    if (!handle) return;
    try {
      await this.index(handle);
    } finally {
      await handle.close();
    }
  }

  /** Up to `max` messages from the first one at or after `offset` (complete lines only). */
  async read(offset: number, max: number): Promise<ConsumedEvent[]> {
    const handle = await this.open();
    if (!handle) return [];
    let text: string;
    let first: number;
    let last: number;
    try {
      await this.index(handle);
      first = firstAtOrAfter(this.offsets, offset);
      last = Math.min(this.offsets.length, first + max);
      if (first >= last) return [];
      const from = this.starts[first];
      const to = last < this.starts.length ? this.starts[last] : this.indexedBytes;
      const buffer = Buffer.alloc(to - from);
      await handle.read(buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
    const lines = text.split('\n');
    const events: ConsumedEvent[] = [];
    for (let i = 0; i < last - first; i++) {
      const stored = JSON.parse(lines[i]) as StoredLine;
      events.push({
        topic: this.topic,
        partition: this.partition,
        offset: String(this.offsets[first + i]),
        key: stored.k,
        value: stored.b !== undefined ? Buffer.from(stored.b, 'base64') : stored.v === null || stored.v === undefined ? null : Buffer.from(stored.v, 'utf8'),
        headers: stored.h ?? {},
        timestamp: stored.t,
      });
    }
    return events;
  }

  private async open(): Promise<FileHandle | null> {
    try {
      return await fsp.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  private async index(handle: FileHandle): Promise<void> {
    const { size, dev, ino } = await handle.stat();
    const header = await readHeader(handle, size, this.file);
    const identity = `${dev}:${ino}:${header?.compaction ?? ''}`;
    if (identity !== this.identity || size < this.indexedBytes) {
      this.identity = identity;
      this.offsets = [];
      this.starts = [];
      this.indexedBytes = 0;
      this.next = this.compactedEnd = header?.end ?? 0;
    }
    if (size <= this.indexedBytes) return;
    const chunk = Buffer.alloc(size - this.indexedBytes);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, this.indexedBytes);
    let lineStart = 0;
    for (let i = 0; i < bytesRead; i++) {
      if (chunk[i] !== 0x0a) continue;
      const start = this.indexedBytes + lineStart;
      if (!(start === 0 && header)) {
        this.offsets.push(storedOffset(chunk, lineStart) ?? this.next++);
        this.starts.push(start);
      }
      lineStart = i + 1;
    }
    this.indexedBytes += lineStart;
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
        await this.log.openPartition(topic, partition);
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

/** Lock files (`<partition file>.lock`) for appends and compaction: a crashed holder's lock turns stale after 10 s. */
const PARTITION_LOCK = {
  realpath: false,
  stale: 10_000,
  // A compaction of a large partition holds the lock for a while: wait up to about a minute.
  retries: { retries: 600, factor: 1.2, minTimeout: 5, maxTimeout: 100 },
  onCompromised: (error: Error) => process.emitWarning(`event-log partition lock lost: ${error.message}`),
};

function isCompacted(meta: TopicMeta): boolean {
  return (meta.config?.['cleanup.policy'] ?? '').split(',').some((policy) => policy.trim() === 'compact');
}

function compactionTempFile(file: string): string {
  return `${file}.compacting`;
}

/** Each complete record line of a partition file (up to `bytes`) with its offset; `explicit` when the line stores it. */
async function* recordLines(file: string, bytes: number): AsyncGenerator<{ offset: number; line: string; explicit: boolean }> {
  if (bytes === 0) return;
  const lines = createInterface({ input: fs.createReadStream(file, { encoding: 'utf8', start: 0, end: bytes - 1 }), crlfDelay: Infinity });
  let next = 0;
  let first = true;
  for await (const line of lines) {
    if (first && line.startsWith(HEADER_START)) {
      next = parseHeader(line, file).end;
      first = false;
      continue;
    }
    first = false;
    const explicit = line.startsWith(OFFSET_START);
    yield { offset: explicit ? Number.parseInt(line.slice(OFFSET_START.length), 10) : next++, line, explicit };
  }
}

/** The version-2 header of a partition file, or null for a version-1 file. */
async function readHeader(handle: FileHandle, size: number, file: string): Promise<FileHeader | null> {
  if (size < HEADER_PREFIX.length) return null;
  const buffer = Buffer.alloc(Math.min(size, HEADER_MAX_BYTES));
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  if (!buffer.subarray(0, HEADER_PREFIX.length).equals(HEADER_PREFIX)) return null;
  const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
  if (newline < 0) throw new Error(`${file}: the event log header is incomplete`);
  return parseHeader(buffer.subarray(0, newline).toString('utf8'), file);
}

function parseHeader(line: string, file: string): FileHeader {
  const header = JSON.parse(line) as FileHeader;
  if (header.format !== FORMAT_V2)
    throw new Error(`${file}: unknown event log format "${header.format}" (this version reads ${FORMAT_V2} and headerless version-1 files)`);
  return header;
}

/** The offset a line stores (`{"o":N,...`), or null when it has none (its offset follows the previous record's). */
function storedOffset(chunk: Buffer, lineStart: number): number | null {
  if (!chunk.subarray(lineStart, lineStart + OFFSET_PREFIX.length).equals(OFFSET_PREFIX)) return null;
  let offset = 0;
  for (let i = lineStart + OFFSET_PREFIX.length; chunk[i] >= 0x30 && chunk[i] <= 0x39; i++) offset = offset * 10 + (chunk[i] - 0x30);
  return offset;
}

/** Index of the first entry of ascending `offsets` at or after `offset` (binary search). */
function firstAtOrAfter(offsets: readonly number[], offset: number): number {
  let low = 0;
  let high = offsets.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (offsets[middle] < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Makes a rename in `dir` durable (best effort where directories cannot be opened for sync). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported on this platform: the rename is still atomic, only its durability waits for the OS.
  } finally {
    await handle?.close();
  }
}
