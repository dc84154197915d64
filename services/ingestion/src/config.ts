/**
 * Ingestion configuration: every environment variable it reads, validated at start-up (a bad
 * one stops the service naming it), with defaults that run the embedded mode on one machine
 * (no KAFKA_BROKERS → the embedded event log under DATA_DIR).
 */
import path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@vsearch/config';
import {
  catalogTopicNames,
  checkKafkaConnectionEnv,
  kafkaConnection,
  kafkaConnectionEnvShape,
  type CatalogTopicNames,
  type KafkaConnectionOptions,
} from '@vsearch/event-log';
import { AddressAllowList } from '@vsearch/image-fetch';
import type { PoisonEventSettings } from './services/poison-event-policy';

/** Images decoded at once; read before the config too, to size the thread pool (size-thread-pool.ts). */
export const preprocessConcurrencyEnv = env.positiveInt(4);

export const ingestionEnvSchema = z
  .object({
    INGESTION_PORT: env.port(8081),
    INGESTION_HOST: z.string().min(1).default('0.0.0.0'),
    /** KAFKA_BROKERS (unset → the embedded event log under DATA_DIR), KAFKA_TLS, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD. */
    ...kafkaConnectionEnvShape,
    KAFKA_CLIENT_ID: z.string().min(1).default('vsearch-ingestion'),
    /** Prefix for every topic name (tests isolate themselves on a shared broker with it). */
    TOPIC_PREFIX: z.string().default(''),
    CONSUMER_GROUP: z.string().min(1).default('vsearch-ingestion'),
    EMBEDDER_ADDR: z.string().min(1).default('127.0.0.1:50051'),
    SEARCH_ADDR: z.string().min(1).default('127.0.0.1:50052'),
    /** Write alt text: one generated description per image (the describer must be served at DESCRIBER_ADDR). */
    DESCRIBE_IMAGES: env.boolean(false),
    /** The describer gRPC service; unset → EMBEDDER_ADDR, whose process serves it when its describer model is loaded. */
    DESCRIBER_ADDR: z.string().min(1).optional(),
    /** Deadline of one bulk description (it waits behind shoppers' questions). */
    DESCRIBE_DEADLINE_MS: env.positiveInt(120_000),
    /** Entries of the in-memory description cache (sha256 of image bytes + describer model id). */
    DESCRIPTION_CACHE_SIZE: env.nonNegativeInt(20_000),
    DATA_DIR: z.string().min(1).default('./data'),
    /** `host[:port]` or CIDR entries that image URLs may reach although private or loopback. */
    IMAGE_FETCH_ALLOW_HOSTS: env.list().superRefine((entries, context) => {
      try {
        AddressAllowList.parse(entries);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
    IMAGE_FETCH_TIMEOUT_MS: env.positiveInt(10_000),
    IMAGE_FETCH_MAX_BYTES: env.positiveInt(15 * 1024 * 1024),
    IMAGE_FETCH_MAX_REDIRECTS: env.nonNegativeInt(3),
    /** Images fetched at once by this process. */
    IMAGE_FETCH_CONCURRENCY: env.positiveInt(16),
    /** Attempts per image for retryable fetch errors (timeouts, connection errors, 5xx), the first included. */
    FETCH_ATTEMPTS: env.positiveInt(4),
    FETCH_RETRY_BASE_MS: env.positiveInt(200),
    FETCH_RETRY_MAX_MS: env.positiveInt(5_000),
    /** Images decoded and resized at once (sharp, on libuv's thread pool, sized to this + 4 by main.ts); more wait. */
    PREPROCESS_CONCURRENCY: preprocessConcurrencyEnv,
    /** Partitions processed at the same time. */
    PARTITIONS_CONCURRENCY: env.positiveInt(3),
    /** Events of one partition handled together (fetched, embedded and written as one unit, then committed). */
    EVENTS_PER_CHUNK: env.positiveInt(32),
    /** Images per embedder call (bulk lane). */
    EMBED_BATCH: env.positiveInt(32),
    /** Embedder calls in flight at once. */
    EMBED_CONCURRENCY: env.positiveInt(4),
    /** Longest a partial embedder batch waits for more images (fuller batches cost the embedder less per image). */
    EMBED_MAX_WAIT_MS: env.nonNegativeInt(25),
    EMBED_DEADLINE_MS: env.positiveInt(60_000),
    /** Entries of the in-memory embedding cache (sha256 of image bytes + model id). */
    EMBEDDING_CACHE_SIZE: env.nonNegativeInt(20_000),
    /** Save the embedding cache under DATA_DIR/ingestion on shutdown and load it on start. */
    EMBEDDING_CACHE_PERSIST: env.boolean(true),
    /** Pause of a partition after a dependency outage: first wait, doubled up to the maximum. */
    DEPENDENCY_RETRY_BASE_MS: env.positiveInt(500),
    DEPENDENCY_RETRY_MAX_MS: env.positiveInt(10_000),
    /**
     * Tries of an event that fails with an unexpected error (a bug, not an outage), the first included;
     * after the last it is dead-lettered (stage `handle`) and its partition moves on.
     */
    POISON_EVENT_MAX_ATTEMPTS: env.positiveInt(5),
    /** Pause of the partition before the next try of such an event: first wait, doubled up to the maximum. */
    POISON_EVENT_BACKOFF_MS: env.positiveInt(1_000),
    POISON_EVENT_BACKOFF_MAX_MS: env.positiveInt(30_000),
    /** Reindex requests older than this when first read are skipped (a new consumer group must not replay old jobs). */
    REINDEX_REQUEST_MAX_AGE_MS: env.positiveInt(6 * 3600 * 1000),
    /** A running reindex job's record in the job store is rewritten this often (its heartbeat); progress at most once a second. */
    REINDEX_HEARTBEAT_MS: env.positiveInt(5_000),
    /** A job whose heartbeat is older than this is stalled: readers say so, and a replica consuming its request again takes it over. */
    REINDEX_STALLED_AFTER_MS: env.positiveInt(30_000),
    /** How often the collections (alias target, reindex generation) are re-read from search. */
    COLLECTIONS_REFRESH_MS: env.positiveInt(2_000),
    /** Rebuild a damaged live collection from the catalog topic without an operator (a new generation, the alias swap). */
    SELF_HEAL: env.boolean(true),
    /** How often the live collection is checked for damage search reports. */
    HEAL_CHECK_MS: env.positiveInt(10_000),
    /** Checks without growth after which a newer generation no job here fills is taken as an abandoned rebuild and dropped. */
    HEAL_ABANDONED_AFTER_CHECKS: env.positiveInt(6),
    /** Check a rebuilt generation before the alias moves to it (the gates below); off: it swaps once filled. */
    GATES_ENABLED: env.boolean(true),
    /** The new generation holds at least this share of the live one's products. */
    GATE_MIN_PRODUCT_SHARE: env.share(0.98),
    /** At most this share of the sampled products' images may have failed (fetch, decode, embed). */
    GATE_MAX_FAILED_IMAGE_SHARE: env.share(0.05),
    /** Recall@10 of the golden queries and of the catalog checks may fall at most this much below the live generation's. */
    GATE_RECALL_MARGIN: env.share(0.02),
    /** Products sampled from the catalog (deterministically, by id hash) for the failed-image gate and the catalog checks. */
    GATE_CATALOG_SAMPLE: env.nonNegativeInt(200),
    /** Generations that served before the live one, kept (and written) for a rollback. */
    RETAIN_GENERATIONS: env.nonNegativeInt(1),
    /** Hours a previous generation (or the latest rejected one) is kept at most. */
    RETAIN_GENERATIONS_HOURS: env.nonNegativeNumber(24),
    /** How often generations past their retention are dropped. */
    RETAIN_SWEEP_MS: env.positiveInt(60_000),
    SHUTDOWN_GRACE_MS: env.positiveInt(15_000),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine(checkKafkaConnectionEnv);

export type IngestionEnv = z.input<typeof ingestionEnvSchema>;

export interface IngestionConfig {
  http: { host: string; port: number };
  /** The Kafka connection (brokers, client id, TLS, SASL) plus where the embedded log lives. */
  eventLog: KafkaConnectionOptions & { dataDir: string; consumerGroup: string; topicPrefix: string };
  topics: CatalogTopicNames;
  embedderAddress: string;
  searchAddress: string;
  /** Alt text at ingestion; undefined when DESCRIBE_IMAGES is off. */
  describer: { address: string; deadlineMs: number; cacheSize: number } | undefined;
  fetch: {
    allowHosts: string[];
    timeoutMs: number;
    maxBytes: number;
    maxRedirects: number;
    concurrency: number;
    attempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
  };
  pipeline: {
    preprocessConcurrency: number;
    partitionsConcurrency: number;
    eventsPerChunk: number;
    embedBatch: number;
    embedConcurrency: number;
    embedMaxWaitMs: number;
    embedDeadlineMs: number;
    embeddingCacheSize: number;
    /** File the embedding cache is saved to, or undefined when not persisted. */
    embeddingCacheFile: string | undefined;
    dependencyRetryBaseMs: number;
    dependencyRetryMaxMs: number;
    poisonEvents: PoisonEventSettings;
  };
  collectionsRefreshMs: number;
  /** Self-healing of a damaged live collection; undefined when SELF_HEAL is off. */
  heal: { checkMs: number; abandonedAfterChecks: number } | undefined;
  reindexRequestMaxAgeMs: number;
  /** The swap gates; undefined when GATES_ENABLED is off. */
  gates: { minProductShare: number; maxFailedImageShare: number; recallMargin: number; catalogSample: number } | undefined;
  retention: { generations: number; maxAgeMs: number; sweepMs: number };
  /** Durable reindex jobs: heartbeat of a running job and when a silent one counts as stalled. */
  reindexJobs: { heartbeatMs: number; stalledAfterMs: number };
  shutdownGraceMs: number;
  logLevel: string;
}

/** Overrides are environment variables by name (numbers allowed), applied over `env`. */
export type IngestionConfigOverrides = Partial<Record<keyof IngestionEnv, string | number>>;

export function loadIngestionConfig(overrides: IngestionConfigOverrides = {}, environment: NodeJS.ProcessEnv = process.env): Readonly<IngestionConfig> {
  const merged: NodeJS.ProcessEnv = { ...environment };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) merged[name] = String(value);
  const parsed = loadConfig('ingestion', ingestionEnvSchema, merged);
  const prefix = parsed.TOPIC_PREFIX;
  return Object.freeze({
    http: { host: parsed.INGESTION_HOST, port: parsed.INGESTION_PORT },
    eventLog: { ...kafkaConnection(parsed, parsed.KAFKA_CLIENT_ID), dataDir: parsed.DATA_DIR, consumerGroup: parsed.CONSUMER_GROUP, topicPrefix: prefix },
    topics: catalogTopicNames(prefix),
    embedderAddress: parsed.EMBEDDER_ADDR,
    searchAddress: parsed.SEARCH_ADDR,
    describer: parsed.DESCRIBE_IMAGES
      ? { address: parsed.DESCRIBER_ADDR ?? parsed.EMBEDDER_ADDR, deadlineMs: parsed.DESCRIBE_DEADLINE_MS, cacheSize: parsed.DESCRIPTION_CACHE_SIZE }
      : undefined,
    fetch: {
      allowHosts: [...parsed.IMAGE_FETCH_ALLOW_HOSTS],
      timeoutMs: parsed.IMAGE_FETCH_TIMEOUT_MS,
      maxBytes: parsed.IMAGE_FETCH_MAX_BYTES,
      maxRedirects: parsed.IMAGE_FETCH_MAX_REDIRECTS,
      concurrency: parsed.IMAGE_FETCH_CONCURRENCY,
      attempts: parsed.FETCH_ATTEMPTS,
      retryBaseMs: parsed.FETCH_RETRY_BASE_MS,
      retryMaxMs: parsed.FETCH_RETRY_MAX_MS,
    },
    pipeline: {
      preprocessConcurrency: parsed.PREPROCESS_CONCURRENCY,
      partitionsConcurrency: parsed.PARTITIONS_CONCURRENCY,
      eventsPerChunk: parsed.EVENTS_PER_CHUNK,
      embedBatch: parsed.EMBED_BATCH,
      embedConcurrency: parsed.EMBED_CONCURRENCY,
      embedMaxWaitMs: parsed.EMBED_MAX_WAIT_MS,
      embedDeadlineMs: parsed.EMBED_DEADLINE_MS,
      embeddingCacheSize: parsed.EMBEDDING_CACHE_SIZE,
      embeddingCacheFile:
        parsed.EMBEDDING_CACHE_PERSIST && parsed.EMBEDDING_CACHE_SIZE > 0 ? path.join(parsed.DATA_DIR, 'ingestion', 'embedding-cache.bin') : undefined,
      dependencyRetryBaseMs: parsed.DEPENDENCY_RETRY_BASE_MS,
      dependencyRetryMaxMs: parsed.DEPENDENCY_RETRY_MAX_MS,
      poisonEvents: {
        maxAttempts: parsed.POISON_EVENT_MAX_ATTEMPTS,
        backoffBaseMs: parsed.POISON_EVENT_BACKOFF_MS,
        backoffMaxMs: parsed.POISON_EVENT_BACKOFF_MAX_MS,
      },
    },
    collectionsRefreshMs: parsed.COLLECTIONS_REFRESH_MS,
    heal: parsed.SELF_HEAL ? { checkMs: parsed.HEAL_CHECK_MS, abandonedAfterChecks: parsed.HEAL_ABANDONED_AFTER_CHECKS } : undefined,
    reindexRequestMaxAgeMs: parsed.REINDEX_REQUEST_MAX_AGE_MS,
    gates: parsed.GATES_ENABLED
      ? {
          minProductShare: parsed.GATE_MIN_PRODUCT_SHARE,
          maxFailedImageShare: parsed.GATE_MAX_FAILED_IMAGE_SHARE,
          recallMargin: parsed.GATE_RECALL_MARGIN,
          catalogSample: parsed.GATE_CATALOG_SAMPLE,
        }
      : undefined,
    retention: { generations: parsed.RETAIN_GENERATIONS, maxAgeMs: Math.round(parsed.RETAIN_GENERATIONS_HOURS * 3_600_000), sweepMs: parsed.RETAIN_SWEEP_MS },
    reindexJobs: { heartbeatMs: parsed.REINDEX_HEARTBEAT_MS, stalledAfterMs: parsed.REINDEX_STALLED_AFTER_MS },
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    logLevel: parsed.LOG_LEVEL,
  });
}
