/**
 * The Kafka adapter of the event log (kafkajs): acks=all producer, consumer groups with
 * manual commits (offsets committed only when the handler says so), per-partition batches
 * processed with `partitionsConsumedConcurrently`, pause + seek back for retries, and a
 * replay of a topic from its beginning (or given offsets) up to the end offsets at the start (reindex).
 */
import { randomUUID } from 'node:crypto';
import {
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Batch,
  type Consumer,
  type IHeaders,
  type KafkaConfig,
  type KafkaMessage,
  type Producer,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
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
import type { KafkaSaslOptions } from './kafka-connection';
import { publishTraced } from './trace-context';

/** A replay that receives nothing for this long (while its join is done) has read everything there is. */
const REPLAY_IDLE_MS = 10_000;

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  /** TLS to the brokers (`KAFKA_TLS`; default false). */
  ssl?: boolean;
  /** SASL authentication (`KAFKA_SASL_*`); none when omitted. */
  sasl?: KafkaSaslOptions;
  /** Receives kafkajs log lines (warn and above by default); silent when omitted. */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
  /** Milliseconds before a request to the broker gives up (default 30 s). */
  requestTimeoutMs?: number;
  /** Replication factor of the topics ensureTopics creates (default 1). */
  replicationFactor?: number;
}

export class KafkaEventLog extends EventLog {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  /** What kafkajs was given (kept for the unit test of the wiring; holds the SASL password, never log it). */
  private readonly clientConfig: KafkaConfig;
  private producer: Producer | null = null;
  private producerConnecting: Promise<Producer> | null = null;
  private admin: Admin | null = null;
  private adminConnecting: Promise<Admin> | null = null;
  private readonly consumers = new Set<KafkaEventConsumer>();

  constructor(private readonly options: KafkaEventLogOptions) {
    super();
    const log = options.log;
    this.clientConfig = {
      clientId: options.clientId,
      brokers: options.brokers,
      ssl: options.ssl ?? false,
      ...(options.sasl ? { sasl: kafkajsSasl(options.sasl) } : {}),
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      connectionTimeout: 3_000,
      // Keep reconnecting through a broker restart instead of crashing the consumer.
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 30 },
      logLevel: log ? KafkaLogLevel.WARN : KafkaLogLevel.NOTHING,
      logCreator: () => (entry: LogEntry) => {
        if (!log) return;
        const { message, ...extra } = entry.log;
        // kafkajs logs every failed reconnect as an error; an outage is reported once by the service, so these are warnings.
        const level = entry.level <= KafkaLogLevel.WARN ? 'warn' : entry.level === KafkaLogLevel.INFO ? 'info' : 'debug';
        log(level, `kafkajs ${entry.namespace}: ${message}`, extra);
      },
    };
    this.kafka = new Kafka(this.clientConfig);
  }

  get kafkaClient(): Kafka {
    return this.kafka;
  }

  async publish(topic: string, records: EventRecord[]): Promise<void> {
    if (records.length === 0) return;
    const producer = await this.connectedProducer();
    await publishTraced('kafka', topic, records, async (traced) => {
      await producer.send({
        topic,
        acks: -1,
        messages: traced.map((record) => ({ key: record.key, value: record.value, headers: record.headers })),
      });
    });
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = await this.connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions ?? 3,
          replicationFactor: this.options.replicationFactor ?? 1,
          configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      // Another client created it in between: fine.
      if (!/already exists/i.test((error as Error).message)) throw error;
    }
  }

  createConsumer(options: ConsumerOptions): EventConsumer {
    const consumer = new KafkaEventConsumer(this.kafka, options, () => this.consumers.delete(consumer));
    this.consumers.add(consumer);
    return consumer;
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.connectedAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((entry) => [entry.partition, entry.high]));
  }

  async replayTopic(topic: string, handler: (batch: PartitionBatch) => Promise<void>, options: ReplayOptions = {}): Promise<{ messages: number }> {
    const admin = await this.connectedAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map(offsets.map((entry) => [entry.partition, BigInt(entry.high)]));
    const starts = this.replayStartOffsets(topic, new Map(offsets.map((entry) => [entry.partition, entry.high])), options.from);
    const lows = new Map(offsets.map((entry) => [entry.partition, BigInt(entry.low)]));
    // Below the log start offset (records deleted by retention) there is nothing to read.
    const startOf = (partition: number): bigint => {
      const [from, low] = [starts.get(partition) ?? 0n, lows.get(partition) ?? 0n];
      return from > low ? from : low;
    };
    const remaining = new Set(offsets.filter((entry) => BigInt(entry.high) > startOf(entry.partition)).map((entry) => entry.partition));
    if (remaining.size === 0) return { messages: 0 };
    const groupId = `${this.options.clientId}-replay-${randomUUID()}`;
    // The throwaway group starts at `from` where given: its offsets are set before it has a member
    // (no seek racing the partition assignment); the other partitions start at their beginning.
    const seeks = [...remaining]
      .filter((partition) => startOf(partition) > (lows.get(partition) ?? 0n))
      .map((partition) => ({ partition, offset: startOf(partition).toString() }));
    if (seeks.length > 0) await admin.setOffsets({ groupId, topic, partitions: seeks });
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 500 });
    const maxBatch = options.maxBatchSize ?? 256;
    let messages = 0;
    let failure: unknown = null;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const onAbort = () => {
      failure = new Error('replay aborted');
      finish();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Compaction can remove the last records before the end offset, so no batch would ever
    // reach it: a replay that stays quiet for a while (outside its handler) has read everything.
    let lastActivity = Date.now();
    let inHandler = 0;
    const idleWatch = setInterval(() => {
      if (inHandler === 0 && Date.now() - lastActivity > REPLAY_IDLE_MS) finish();
    }, 250);

    const replayBatch = async (batch: Batch, resolveOffset: (offset: string) => void, heartbeat: () => Promise<void>, isRunning: () => boolean) => {
      const end = ends.get(batch.partition) ?? 0n;
      const start = startOf(batch.partition);
      const wanted = batch.messages.filter((message) => BigInt(message.offset) >= start && BigInt(message.offset) < end);
      for (let i = 0; i < wanted.length && isRunning() && !failure; i += maxBatch) {
        const slice = wanted.slice(i, i + maxBatch);
        await handler({ topic, partition: batch.partition, messages: slice.map((m) => toConsumed(topic, batch.partition, m)), highWatermark: end.toString() });
        messages += slice.length;
        resolveOffset(slice[slice.length - 1].offset);
        await heartbeat();
      }
      const last = batch.messages.length > 0 ? BigInt(batch.messages[batch.messages.length - 1].offset) : -1n;
      if (last + 1n >= end) remaining.delete(batch.partition);
      if (remaining.size === 0) finish();
    };

    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
          if (failure || !remaining.has(batch.partition)) return;
          inHandler++;
          try {
            await replayBatch(batch, resolveOffset, heartbeat, isRunning);
          } catch (error) {
            failure = error;
            finish();
          } finally {
            inHandler--;
            lastActivity = Date.now();
          }
        },
      });
      await finished;
    } finally {
      clearInterval(idleWatch);
      options.signal?.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    if (failure) throw failure;
    return { messages };
  }

  async isHealthy(): Promise<boolean> {
    try {
      const admin = await this.connectedAdmin();
      await admin.listTopics();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.producer = null;
    this.admin = null;
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    if (!this.producerConnecting) {
      // Not idempotent: kafkajs would then want unlimited retries (a publish hanging through an outage);
      // a duplicate record is harmless here, versions make replays idempotent.
      const producer = this.kafka.producer({ maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
      this.producerConnecting = producer.connect().then(
        () => {
          this.producer = producer;
          return producer;
        },
        (error: unknown) => {
          this.producerConnecting = null;
          throw error;
        },
      );
    }
    return this.producerConnecting;
  }

  private async connectedAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    // One connection for concurrent callers: a second admin connected alongside would never be disconnected.
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } finally {
        this.adminConnecting = null;
      }
      this.admin = admin;
      return admin;
    })();
    return this.adminConnecting;
  }
}

class KafkaEventConsumer implements EventConsumer {
  private consumer: Consumer | null = null;
  private running = false;
  private readonly lags = new Map<string, PartitionLag>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerOptions,
    private readonly onStopped: () => void,
  ) {}

  async start(handler: BatchHandler): Promise<void> {
    if (this.consumer) throw new Error('consumer already started');
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      rebalanceTimeout: 60_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
      // Short fetch waits: a partition resumed after a retry pause is fetched again promptly.
      maxWaitTimeInMs: 500,
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 30, restartOnFailure: async () => true },
    });
    this.consumer = consumer;
    this.running = true;
    await consumer.connect();
    for (const topic of this.options.topics) await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    const maxBatch = this.options.maxBatchSize ?? 64;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const { topic, partition } = batch;
        const key = `${topic}/${partition}`;
        const high = BigInt(batch.highWatermark);
        const active = () => this.running && isRunning() && !isStale();
        for (let i = 0; i < batch.messages.length; i += maxBatch) {
          if (!active()) return;
          const slice = batch.messages.slice(i, i + maxBatch).map((message) => toConsumed(topic, partition, message));
          const outcome = await handler(
            { topic, partition, messages: slice, highWatermark: batch.highWatermark },
            {
              commit: async (offset) => {
                if (!active()) return;
                const next = (BigInt(offset) + 1n).toString();
                resolveOffset(offset);
                await consumer.commitOffsets([{ topic, partition, offset: next }]);
                this.lags.set(key, { topic, partition, position: next, highWatermark: batch.highWatermark, lag: Number(high - BigInt(next)) });
              },
              advance: (offset) => {
                if (active()) resolveOffset(offset);
              },
              isActive: active,
              heartbeat: async () => {
                await heartbeat();
              },
            },
          );
          if (outcome) {
            if (!active()) return;
            // Go back to the first unfinished message and wait: nothing after the last commit is skipped.
            consumer.seek({ topic, partition, offset: outcome.retryFrom });
            consumer.pause([{ topic, partitions: [partition] }]);
            const timer = setTimeout(() => {
              this.resumeTimers.delete(timer);
              if (this.running) consumer.resume([{ topic, partitions: [partition] }]);
            }, outcome.delayMs);
            this.resumeTimers.add(timer);
            return;
          }
        }
      },
    });
  }

  async stop(): Promise<void> {
    if (!this.consumer) return;
    this.running = false;
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    const consumer = this.consumer;
    this.consumer = null;
    // disconnect() waits for the running eachBatch calls; they see isActive() === false and commit nothing more.
    await consumer.stop().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
    this.onStopped();
  }

  pause(topic: string, partitions?: number[]): void {
    this.consumer?.pause([{ topic, partitions }]);
  }

  resume(topic: string, partitions?: number[]): void {
    this.consumer?.resume([{ topic, partitions }]);
  }

  lag(): PartitionLag[] {
    return [...this.lags.values()];
  }
}

/** kafkajs' SASL options are a union per mechanism; ours carry the same fields for each. */
function kafkajsSasl({ mechanism, username, password }: KafkaSaslOptions): SASLOptions {
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

function toConsumed(topic: string, partition: number, message: KafkaMessage): ConsumedEvent {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: message.value,
    headers: headersToStrings(message.headers),
    timestamp: Number(message.timestamp),
  };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    result[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return result;
}
