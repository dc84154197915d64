/**
 * The event log port: what ingestion, the CLI and the admin API need from Kafka, so the same
 * handlers run on a Kafka cluster (`KafkaEventLog`) or on the one-machine embedded log
 * (`FileEventLog`). Offsets are strings (Kafka offsets are 64-bit).
 */

/** One record to append. A null value is a tombstone (compacted topics drop the key). */
export interface EventRecord {
  key: string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

export interface ConsumedEvent {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Append time, ms since the epoch. */
  timestamp: number;
}

/** Messages of ONE partition, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: ConsumedEvent[];
  /** Offset of the next message to be appended to the partition (log end), when known. */
  highWatermark: string;
}

export interface BatchControl {
  /** Marks every message up to and including `offset` processed and commits the group's position past it. */
  commit(offset: string): Promise<void>;
  /**
   * Moves this consumer past `offset` without committing: the messages are not handed again while
   * it runs, but a restarted consumer of the group starts from the last commit. For readers that
   * read the whole topic on every start (a materialised view).
   */
  advance(offset: string): void;
  /** False once the consumer is stopping or the partition was taken away: stop work, commit nothing more. */
  isActive(): boolean;
  /** Keeps the group membership alive during long work (Kafka); a no-op on the embedded log. */
  heartbeat(): Promise<void>;
}

/**
 * What a handler returns when it could not finish the batch because a dependency is down:
 * the partition is paused, its position moved back to `retryFrom` (nothing after the last
 * commit is lost), and resumed after `delayMs`.
 */
export interface RetryLater {
  retryFrom: string;
  delayMs: number;
}

export type BatchHandler = (batch: PartitionBatch, control: BatchControl) => Promise<RetryLater | void>;

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group without a committed offset starts (default: the beginning). */
  fromBeginning?: boolean;
  /** Partitions handled at the same time (Kafka: `partitionsConsumedConcurrently`). */
  partitionsConsumedConcurrently?: number;
  /** Upper bound on messages handed to one handler call (default 64). */
  maxBatchSize?: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Next offset this consumer will process. */
  position: string;
  highWatermark: string;
  lag: number;
}

export interface EventConsumer {
  /** Joins the group and starts handing batches to `handler`; resolves once running. */
  start(handler: BatchHandler): Promise<void>;
  /** Stops fetching, waits for in-flight handlers (which see `isActive() === false`), leaves the group. */
  stop(): Promise<void>;
  pause(topic: string, partitions?: number[]): void;
  resume(topic: string, partitions?: number[]): void;
  /** Lag per partition as last seen by this consumer. */
  lag(): PartitionLag[];
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** Topic-level settings, e.g. `{ 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string>;
}

export interface ReplayOptions {
  signal?: AbortSignal;
  maxBatchSize?: number;
  /**
   * Per partition, the first offset to read (e.g. the end offsets an earlier replay returned);
   * partitions absent start at their beginning. An offset must be a non-negative integer no
   * greater than the partition's end offset (equal to it: nothing is read from that partition).
   */
  from?: ReadonlyMap<number, string>;
}

export abstract class EventLog {
  /** `kafka` or `embedded`, for logs and readiness. */
  abstract readonly kind: 'kafka' | 'embedded';

  /** Appends records to `topic` (key-hashed partitions); resolves once durably acknowledged. */
  abstract publish(topic: string, records: EventRecord[]): Promise<void>;

  /** Creates topics that do not exist yet (existing ones are left as they are). */
  abstract ensureTopics(specs: TopicSpec[]): Promise<void>;

  abstract createConsumer(options: ConsumerOptions): EventConsumer;

  /** Log end offsets per partition now: the boundary a replay reads up to. */
  abstract endOffsets(topic: string): Promise<Map<number, string>>;

  /**
   * Reads `topic` from its beginning (or from `options.from`) up to the end offsets taken when the
   * call starts, handing batches to `handler` (all partitions); resolves with the count of messages
   * read. Used by reindex. Refuses a `from` that names an offset the topic cannot have.
   */
  abstract replayTopic(topic: string, handler: (batch: PartitionBatch) => Promise<void>, options?: ReplayOptions): Promise<{ messages: number }>;

  /** True when the log answers (readiness). */
  abstract isHealthy(): Promise<boolean>;

  abstract close(): Promise<void>;

  /**
   * Where a replay starts in each partition: `from`, checked against the end offsets `ends`, or 0.
   * Throws a RangeError naming the topic, partition and offset for an offset that is not a
   * non-negative integer, lies beyond the partition's end, or names a partition the topic lacks.
   */
  protected replayStartOffsets(topic: string, ends: ReadonlyMap<number, string>, from: ReadonlyMap<number, string> | undefined): Map<number, bigint> {
    for (const [partition, offset] of from ?? []) {
      const end = ends.get(partition);
      if (end === undefined) throw new RangeError(`replay of ${topic}: partition ${partition} does not exist (the topic has ${ends.size})`);
      if (!/^\d+$/.test(offset)) throw new RangeError(`replay of ${topic}: offset "${offset}" for partition ${partition} is not a non-negative integer`);
      if (BigInt(offset) > BigInt(end)) throw new RangeError(`replay of ${topic}: offset ${offset} for partition ${partition} is beyond its end offset ${end}`);
    }
    return new Map([...ends.keys()].map((partition) => [partition, BigInt(from?.get(partition) ?? 0)]));
  }

  /** Convenience for one record. */
  async publishOne(topic: string, key: string | null, value: Buffer | string | null, headers?: Record<string, string>): Promise<void> {
    await this.publish(topic, [{ key, value, headers }]);
  }
}
