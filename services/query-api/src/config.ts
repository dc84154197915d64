/**
 * query-api configuration: every environment variable it reads, validated at
 * start-up (a bad one stops the service naming it), with defaults that run
 * the embedded mode on one machine.
 */
import path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@vsearch/config';
import { DEFAULT_FUSION, type FusionSettings } from '@vsearch/contracts';
import { catalogTopicNames, checkKafkaConnectionEnv, kafkaConnection, kafkaConnectionEnvShape, type KafkaConnectionOptions } from '@vsearch/event-log';
import { defaultDecodeConcurrency } from '@vsearch/preprocessing';

const MIB = 1024 * 1024;

/** Photos decoded at once (uploads and image URLs); the default leaves one core to the event loop. Read before the config too (size-thread-pool.ts). */
export const decodeConcurrencyEnv = env.positiveInt(defaultDecodeConcurrency());

export const queryApiEnvSchema = z
  .object({
    QUERY_API_PORT: env.port(8080),
    QUERY_API_HOST: z.string().min(1).default('0.0.0.0'),
    EMBEDDER_ADDR: z.string().min(1).default('127.0.0.1:50051'),
    SEARCH_ADDR: z.string().min(1).default('127.0.0.1:50052'),
    /** The describer (alt text, answers about a photo); unset → EMBEDDER_ADDR, whose process serves it when its model is there. */
    DESCRIBER_ADDR: z.string().min(1).optional(),
    /** Ingestion's HTTP address; reindex jobs are read from the job store on the event log, not from here. */
    INGESTION_URL: z.url({ error: 'must be an http(s) URL' }).default('http://127.0.0.1:8081'),
    /** A running reindex job whose heartbeat (written by the ingestion replica running it) is older than this is reported `stalled`. */
    REINDEX_STALLED_AFTER_MS: env.positiveInt(30_000),
    /** KAFKA_BROKERS (unset → the embedded event log under DATA_DIR), KAFKA_TLS, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD. */
    ...kafkaConnectionEnvShape,
    /** Prefix of every topic name, as ingestion uses it (reindex requests go to `<prefix>catalog.reindex.v1`). */
    TOPIC_PREFIX: z.string().default(''),
    DATA_DIR: z.string().min(1).default('./data'),
    /** Comma-separated admin API keys (X-Api-Key); none → the admin routes refuse every call. */
    ADMIN_API_KEYS: env.list(),
    RATE_LIMIT_ENABLED: env.boolean(true),
    /** Token bucket per API key (or per client IP when anonymous): refill rate. */
    RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(20),
    /** Token bucket capacity (the burst a client may send at once). */
    RATE_LIMIT_BURST: env.positiveInt(40),
    /**
     * A photo costs one token per this many decoded megapixels (at least one): at 20 tokens/s a
     * client gets twenty 2 Mpx photos a second but one 40 Mpx photo (about 1 s of a core to decode).
     */
    RATE_LIMIT_MEGAPIXELS_PER_TOKEN: z.coerce.number({ error: 'must be a number' }).positive().default(2),
    /** Buckets kept in memory; the least recently seen client is forgotten first. */
    RATE_LIMIT_MAX_CLIENTS: env.positiveInt(10_000),
    /** Honour X-Forwarded-For for the client IP (behind an ingress). */
    TRUST_PROXY: env.boolean(false),
    UPLOAD_MAX_BYTES: env.positiveInt(10 * MIB),
    /** Decoded pixels (width × height) an uploaded or fetched image may have. */
    UPLOAD_MAX_PIXELS: env.positiveInt(40_000_000),
    /** `host[:port]`, CIDR or `http(s)://host[:port]/path/` entries that image URLs may reach although private or loopback. */
    IMAGE_FETCH_ALLOW_HOSTS: env.list(),
    IMAGE_FETCH_TIMEOUT_MS: env.positiveInt(5_000),
    IMAGE_DECODE_CONCURRENCY: decodeConcurrencyEnv,
    /** Photos waiting for a decode slot before newcomers get 503 with Retry-After; default twice the concurrency. */
    IMAGE_DECODE_QUEUE: z.coerce.number().int().nonnegative().optional(),
    /** Embedded mode: serve the generated catalog's images at /catalog-images/*. */
    CATALOG_IMAGES_DIR: env.optionalString(),
    /** Overrides the text-search score cut-off the embedder's model announces in GetModelInfo (cosine, -1 to 1). */
    TEXT_SCORE_THRESHOLD: z
      .string()
      .optional()
      .transform((value) => (value === undefined || value.trim() === '' ? undefined : Number(value)))
      .pipe(z.number({ error: 'must be a number' }).min(-1).max(1).optional()),
    /** Hybrid search, reciprocal-rank fusion: a product scores `weight / (k + rank)` in each ranking. `k` damps the head of each list. */
    FUSION_K: env.positiveInt(DEFAULT_FUSION.k),
    /** Weight of the vector (CLIP) ranking in hybrid search. */
    FUSION_VECTOR_WEIGHT: fusionWeight(DEFAULT_FUSION.vectorWeight),
    /** Weight of the keyword (BM25) ranking in hybrid search. */
    FUSION_KEYWORD_WEIGHT: fusionWeight(DEFAULT_FUSION.keywordWeight),
    /** Query embeddings kept in the LRU cache. */
    QUERY_CACHE_SIZE: env.positiveInt(2_000),
    /** Deadline of each call to the embedder, search and ingestion. */
    UPSTREAM_TIMEOUT_MS: env.positiveInt(10_000),
    /** Deadline of each describe or ask call: writing words takes longer than embedding. */
    DESCRIBER_TIMEOUT_MS: env.positiveInt(30_000),
    /** Seconds a client is told to wait (Retry-After) when a dependency is down. */
    RETRY_AFTER_SECONDS: env.positiveInt(5),
    /** Time to receive a request's headers (slow-header clients are cut off: 408). */
    HTTP_HEADERS_TIMEOUT_MS: env.positiveInt(10_000),
    /** Time to receive a whole request, body included (a 10 MiB upload at 3 Mbit/s takes 28 s). */
    HTTP_REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
    /** An idle kept-alive connection is closed after this; behind a load balancer, above its idle timeout. */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(5_000),
    /** Open connections at most; more are closed at once. */
    HTTP_MAX_CONNECTIONS: env.positiveInt(1_024),
    /** libuv's thread pool (sharp decodes there, next to file reads and DNS); unset → decode slots + 4, set in main.ts. */
    UV_THREADPOOL_SIZE: z.coerce.number().int().positive().optional(),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine(checkKafkaConnectionEnv)
  .superRefine((flat, context) => {
    if (flat.HTTP_HEADERS_TIMEOUT_MS > flat.HTTP_REQUEST_TIMEOUT_MS) {
      context.addIssue({
        code: 'custom',
        path: ['HTTP_HEADERS_TIMEOUT_MS'],
        message: `must not exceed HTTP_REQUEST_TIMEOUT_MS (${flat.HTTP_REQUEST_TIMEOUT_MS})`,
      });
    }
    if (flat.UV_THREADPOOL_SIZE !== undefined && flat.UV_THREADPOOL_SIZE <= flat.IMAGE_DECODE_CONCURRENCY) {
      context.addIssue({
        code: 'custom',
        path: ['UV_THREADPOOL_SIZE'],
        message: `must exceed IMAGE_DECODE_CONCURRENCY (${flat.IMAGE_DECODE_CONCURRENCY}): with every thread decoding, file reads and DNS look-ups wait behind photos`,
      });
    }
  });

/** A finite weight above 0 (a weight of 0 would switch a ranking off: use `mode` for that). */
function fusionWeight(defaultWeight: number) {
  return z.coerce
    .number({ error: 'must be a number' })
    .refine((weight) => Number.isFinite(weight) && weight > 0, 'must be a number above 0')
    .default(defaultWeight);
}

export type QueryApiEnv = z.input<typeof queryApiEnvSchema>;

export interface QueryApiConfig {
  http: {
    port: number;
    host: string;
    trustProxy: boolean;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
  upstream: {
    embedderAddr: string;
    searchAddr: string;
    describerAddr: string;
    ingestionUrl: string;
    timeoutMs: number;
    describerTimeoutMs: number;
    retryAfterSeconds: number;
  };
  /** The Kafka connection (no brokers → the embedded log under dataDir) and the reindex topic, with TOPIC_PREFIX. */
  eventLog: { kafka: KafkaConnectionOptions; dataDir: string; reindexTopic: string; goldenQueriesTopic: string; reindexJobsTopic: string };
  admin: { apiKeys: string[]; reindexStalledAfterMs: number };
  rateLimit: { enabled: boolean; perSecond: number; burst: number; maxClients: number; megapixelsPerToken: number };
  images: {
    maxUploadBytes: number;
    maxPixels: number;
    /** Admission control of photo decoding: slots, and photos waiting for one before 503. */
    decode: { concurrency: number; queueLimit: number };
    fetchAllowHosts: string[];
    fetchTimeoutMs: number;
    catalogImagesDir?: string;
  };
  search: { textScoreThreshold?: number; queryCacheSize: number; fusion: Readonly<FusionSettings> };
  logLevel: string;
}

/** Overrides are environment variables by name (numbers allowed), applied over `env`. */
export type QueryApiConfigOverrides = Partial<Record<keyof QueryApiEnv, string | number>>;

export function loadQueryApiConfig(overrides: QueryApiConfigOverrides = {}, environment: NodeJS.ProcessEnv = process.env): Readonly<QueryApiConfig> {
  const merged: NodeJS.ProcessEnv = { ...environment };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) merged[name] = String(value);
  const flat = loadConfig('query-api', queryApiEnvSchema, merged);
  return Object.freeze({
    http: Object.freeze({
      port: flat.QUERY_API_PORT,
      host: flat.QUERY_API_HOST,
      trustProxy: flat.TRUST_PROXY,
      headersTimeoutMs: flat.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: flat.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: flat.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: flat.HTTP_MAX_CONNECTIONS,
    }),
    upstream: Object.freeze({
      embedderAddr: flat.EMBEDDER_ADDR,
      searchAddr: flat.SEARCH_ADDR,
      describerAddr: flat.DESCRIBER_ADDR ?? flat.EMBEDDER_ADDR,
      ingestionUrl: flat.INGESTION_URL.replace(/\/+$/, ''),
      timeoutMs: flat.UPSTREAM_TIMEOUT_MS,
      describerTimeoutMs: flat.DESCRIBER_TIMEOUT_MS,
      retryAfterSeconds: flat.RETRY_AFTER_SECONDS,
    }),
    eventLog: Object.freeze({
      kafka: kafkaConnection(flat, 'query-api'),
      dataDir: path.resolve(flat.DATA_DIR),
      reindexTopic: catalogTopicNames(flat.TOPIC_PREFIX).reindex,
      goldenQueriesTopic: catalogTopicNames(flat.TOPIC_PREFIX).goldenQueries,
      reindexJobsTopic: catalogTopicNames(flat.TOPIC_PREFIX).reindexJobs,
    }),
    admin: Object.freeze({ apiKeys: [...flat.ADMIN_API_KEYS], reindexStalledAfterMs: flat.REINDEX_STALLED_AFTER_MS }),
    rateLimit: Object.freeze({
      enabled: flat.RATE_LIMIT_ENABLED,
      perSecond: flat.RATE_LIMIT_PER_SECOND,
      burst: flat.RATE_LIMIT_BURST,
      maxClients: flat.RATE_LIMIT_MAX_CLIENTS,
      megapixelsPerToken: flat.RATE_LIMIT_MEGAPIXELS_PER_TOKEN,
    }),
    images: Object.freeze({
      maxUploadBytes: flat.UPLOAD_MAX_BYTES,
      maxPixels: flat.UPLOAD_MAX_PIXELS,
      decode: Object.freeze({ concurrency: flat.IMAGE_DECODE_CONCURRENCY, queueLimit: flat.IMAGE_DECODE_QUEUE ?? 2 * flat.IMAGE_DECODE_CONCURRENCY }),
      fetchAllowHosts: [...flat.IMAGE_FETCH_ALLOW_HOSTS],
      fetchTimeoutMs: flat.IMAGE_FETCH_TIMEOUT_MS,
      catalogImagesDir: flat.CATALOG_IMAGES_DIR ? path.resolve(flat.CATALOG_IMAGES_DIR) : undefined,
    }),
    search: Object.freeze({
      textScoreThreshold: flat.TEXT_SCORE_THRESHOLD,
      queryCacheSize: flat.QUERY_CACHE_SIZE,
      fusion: Object.freeze({ k: flat.FUSION_K, vectorWeight: flat.FUSION_VECTOR_WEIGHT, keywordWeight: flat.FUSION_KEYWORD_WEIGHT }),
    }),
    logLevel: flat.LOG_LEVEL,
  });
}
