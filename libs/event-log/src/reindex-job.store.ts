/**
 * The durable reindex job store on the event log: every change of a job is a record on the
 * compacted jobs topic (key = job id), and each reader keeps a materialised view (the newest
 * record per job id) by tailing the topic with a consumer of its own, so `get` and `list` are
 * local reads that see other replicas' writes within a poll, on Kafka and on the embedded log.
 */
import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError, parseReindexJobRecord, type ReindexJob, type ReindexJobStore } from '@vsearch/contracts';
import type { ConsumedEvent, EventConsumer, EventLog, TopicSpec } from './event-log.port';

/** Where a skipped record is reported (a logger's warn). */
export type ReindexJobStoreWarn = (fields: Record<string, unknown>, message: string) => void;

/** The newest record per job id, from records in any order; malformed ones are reported and skipped. */
export class ReindexJobView {
  private readonly jobs = new Map<string, ReindexJob>();

  constructor(private readonly warn: ReindexJobStoreWarn = () => undefined) {}

  /** Applies one record of the jobs topic (a null value is a tombstone: the job is forgotten). */
  applyRecord(event: Pick<ConsumedEvent, 'key' | 'value' | 'partition' | 'offset'>): void {
    if (event.value === null) {
      if (event.key !== null) this.jobs.delete(event.key);
      return;
    }
    const parsed = parseReindexJobRecord(event.value);
    if (!parsed.ok) {
      this.warn({ key: event.key, partition: event.partition, offset: event.offset, error: parsed.error }, 'reindex job record skipped: malformed');
      return;
    }
    if (event.key !== null && event.key !== parsed.value.jobId) {
      this.warn({ key: event.key, jobId: parsed.value.jobId, offset: event.offset }, 'reindex job record skipped: its key is not its job id');
      return;
    }
    this.apply(parsed.value);
  }

  /** Keeps `job` unless a record with a later `updatedAt` is already held (equal times: the later arrival wins). */
  apply(job: ReindexJob): void {
    const held = this.jobs.get(job.jobId);
    if (held && timeOf(held) > timeOf(job)) return;
    this.jobs.set(job.jobId, { ...job });
  }

  get(jobId: string): ReindexJob | undefined {
    const job = this.jobs.get(jobId);
    return job ? { ...job } : undefined;
  }

  /** Every job, newest first (by start, else by last change), then by id. */
  list(): ReindexJob[] {
    return [...this.jobs.values()]
      .map((job) => ({ ...job }))
      .sort((a, b) => sortTimeOf(b) - sortTimeOf(a) || timeOf(b) - timeOf(a) || b.jobId.localeCompare(a.jobId));
  }
}

export interface EventLogReindexJobStoreOptions {
  /** `catalogTopicNames(TOPIC_PREFIX).reindexJobs`. */
  topic: string;
  /** Prefix of the view's consumer group (one group per process: every reader reads every record). */
  groupPrefix: string;
  warn?: ReindexJobStoreWarn;
  /** Retry interval of the start-up (topic creation, consumer join) while the event log is down (default 2 s). */
  retryMs?: number;
}

/** The jobs topic's settings: compacted (the newest record per job is all a reader needs), one partition (one order). */
export function reindexJobsTopicSpec(topic: string): TopicSpec {
  return { topic, partitions: 1, config: { 'cleanup.policy': 'compact' } };
}

export class EventLogReindexJobStore implements ReindexJobStore {
  private readonly view: ReindexJobView;
  private consumer: EventConsumer | null = null;
  private starting: Promise<void> | null = null;
  private closed = false;
  /** The jobs topic's end offsets when the view started reading; the view is complete once it read up to them. */
  private startEnds: Map<number, bigint> | null = null;
  private caughtUp = false;
  private readonly caughtUpWaiters = new Set<() => void>();

  constructor(
    private readonly eventLog: EventLog,
    private readonly options: EventLogReindexJobStoreOptions,
  ) {
    this.view = new ReindexJobView(options.warn);
  }

  /** Starts reading the topic in the background (retrying while the event log is down); resolves at once. */
  start(): void {
    this.starting ??= this.startReading();
  }

  /** Resolves once the view holds every record written before it started reading (false after `timeoutMs`). */
  async whenCaughtUp(timeoutMs: number): Promise<boolean> {
    this.start();
    if (this.caughtUp) return true;
    return new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.caughtUpWaiters.delete(onCaughtUp);
        resolve(value);
      };
      const onCaughtUp = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.caughtUpWaiters.add(onCaughtUp);
    });
  }

  /** Appends the record and waits for the log's acknowledgement; the local view has it at once. */
  async put(job: ReindexJob): Promise<void> {
    const record: ReindexJob = { ...job, updatedAt: job.updatedAt ?? new Date().toISOString() };
    try {
      await this.eventLog.publishOne(this.options.topic, record.jobId, JSON.stringify(record));
    } catch (error) {
      throw new DependencyUnavailableError('event-log', `cannot write reindex job ${record.jobId} to ${this.options.topic}: ${(error as Error).message}`);
    }
    this.view.apply(record);
  }

  async get(jobId: string): Promise<ReindexJob | undefined> {
    this.assertReadable();
    return this.view.get(jobId);
  }

  async list(): Promise<ReindexJob[]> {
    this.assertReadable();
    return this.view.list();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    await this.consumer?.stop();
    this.consumer = null;
  }

  /** Before the view has read the topic to its end at start-up, an answer could be wrong (an unknown job, an old state). */
  private assertReadable(): void {
    this.start();
    if (!this.caughtUp) throw new DependencyUnavailableError('event-log', `reindex jobs not read yet from ${this.options.topic}`);
  }

  private async startReading(): Promise<void> {
    const { topic, groupPrefix, warn = () => undefined, retryMs = 2_000 } = this.options;
    for (let attempt = 0; !this.closed; attempt++) {
      const consumer = this.eventLog.createConsumer({
        groupId: `${groupPrefix}-jobs-view-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        maxBatchSize: 256,
      });
      try {
        await this.eventLog.ensureTopics([reindexJobsTopicSpec(topic)]);
        const ends = await this.eventLog.endOffsets(topic);
        this.startEnds = new Map([...ends].filter(([, end]) => BigInt(end) > 0n).map(([partition, end]) => [partition, BigInt(end)]));
        this.markCaughtUpIfComplete();
        // The view never commits (each process reads the whole compacted topic from its beginning), it only moves on.
        await consumer.start(async (batch, control) => {
          for (const event of batch.messages) this.view.applyRecord(event);
          const last = batch.messages[batch.messages.length - 1];
          if (last) control.advance(last.offset);
          if (last && this.startEnds && BigInt(last.offset) + 1n >= (this.startEnds.get(batch.partition) ?? 0n)) this.startEnds.delete(batch.partition);
          this.markCaughtUpIfComplete();
        });
        if (this.closed) await consumer.stop();
        else this.consumer = consumer;
        return;
      } catch (error) {
        await consumer.stop().catch(() => undefined);
        if (attempt === 0 || attempt % 30 === 0) warn({ err: error, topic }, 'reindex job store cannot read its topic yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  }

  private markCaughtUpIfComplete(): void {
    if (this.caughtUp || !this.startEnds || this.startEnds.size > 0) return;
    this.caughtUp = true;
    for (const waiter of [...this.caughtUpWaiters]) waiter();
  }
}

function timeOf(job: ReindexJob): number {
  return job.updatedAt ? Date.parse(job.updatedAt) : 0;
}

function sortTimeOf(job: ReindexJob): number {
  return job.startedAt ? Date.parse(job.startedAt) : timeOf(job);
}

/** The job store in one process's memory: for tests and for a single process that needs no durability. */
export class InMemoryReindexJobStore implements ReindexJobStore {
  private readonly view = new ReindexJobView();

  async put(job: ReindexJob): Promise<void> {
    this.view.apply({ ...job, updatedAt: job.updatedAt ?? new Date().toISOString() });
  }

  async get(jobId: string): Promise<ReindexJob | undefined> {
    return this.view.get(jobId);
  }

  async list(): Promise<ReindexJob[]> {
    return this.view.list();
  }
}
