/**
 * Search configuration: every environment variable the service reads,
 * validated at start-up (a bad one stops the service naming it). Defaults run
 * the embedded store under DATA_DIR; QDRANT_URL switches to Qdrant.
 * QDRANT_API_KEY is a secret: it is never logged (loadConfig hides values of
 * *_KEY variables, and the logger redacts it).
 */
import * as path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@vsearch/config';

const MIB = 1024 * 1024;

export const searchEnvSchema = z.object({
  SEARCH_PORT: env.port(50052),
  SEARCH_HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: env.port(9465),
  /** Runtime data; the embedded store lives in DATA_DIR/vector-store. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Set → the Qdrant adapter; unset → the embedded store. */
  QDRANT_URL: env.optionalString().pipe(z.url({ error: 'must be a URL such as http://qdrant:6333' }).optional()),
  QDRANT_API_KEY: env.optionalString(),
  /** Per-request timeout towards Qdrant. */
  QDRANT_TIMEOUT_MS: env.positiveInt(10_000),
  /** Attempts for reads and idempotent writes when Qdrant is unreachable (exponential backoff). */
  QDRANT_RETRIES: env.nonNegativeInt(3),
  /** Points per upsert request to Qdrant. */
  QDRANT_UPSERT_BATCH: env.positiveInt(256),
  /** HNSW graph degree (Qdrant's `m`). */
  HNSW_M: env.positiveInt(16),
  /** HNSW build beam (Qdrant's `ef_construct`). */
  HNSW_EF_CONSTRUCT: env.positiveInt(128),
  /** HNSW search beam per query (Qdrant's `hnsw_ef`); unset → Qdrant's default. */
  HNSW_EF: z.coerce.number().int().positive().optional(),
  /** Scalar quantization of stored vectors in Qdrant: none or int8 (rescored with the originals). */
  QUANTIZATION: z.enum(['none', 'int8']).default('none'),
  /** Embedded store: below this many points a search scans every point (int8 codes + float rerank); unset → 512 MiB of codes (~4M points at 128 dimensions, ~1M at 512). */
  EMBEDDED_EXACT_BELOW: z.coerce.number().int().positive().optional(),
  /** Embedded store: IVF lists probed per query; unset → 8% of the lists. */
  EMBEDDED_NPROBE: z.coerce.number().int().positive().optional(),
  /** Embedded store: threads for full scans of large collections (2 adds a worker thread; helps on idle multi-core machines). */
  EMBEDDED_SCAN_THREADS: z.enum(['1', '2']).default('1').transform(Number),
  /** Embedded store: fdatasync each write before acknowledging it. */
  EMBEDDED_DURABLE: env.boolean(true),
  /** How often the stored taxonomy is read again, so one stored through another replica tags this one's upserts (0: never; the embedded store has one replica). */
  TAGGING_REFRESH_MS: env.nonNegativeInt(30_000),
  /** How long the replica running a re-tag holds its lease without renewing it (renewed every page and every third of it); another replica takes over within TAGGING_REFRESH_MS after it lapses. */
  RETAG_LEASE_MS: env.positiveInt(30_000),
  MAX_RECEIVE_MESSAGE_BYTES: env.positiveInt(64 * MIB),
  MAX_SEND_MESSAGE_BYTES: env.positiveInt(16 * MIB),
  SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  LOG_LEVEL: env.logLevel(),
});

export type SearchEnv = z.input<typeof searchEnvSchema>;

export interface QdrantSettings {
  url: string;
  apiKey: string | undefined;
  timeoutMs: number;
  retries: number;
  upsertBatch: number;
  hnsw: { m: number; efConstruct: number; ef: number | undefined };
  quantization: 'none' | 'int8';
}

export interface SearchConfig {
  grpc: { host: string; port: number; maxReceiveMessageBytes: number; maxSendMessageBytes: number; shutdownGraceMs: number };
  metricsPort: number;
  dataDir: string;
  taggingRefreshMs: number;
  retagLeaseMs: number;
  store:
    | { kind: 'qdrant'; qdrant: QdrantSettings }
    | { kind: 'embedded'; dir: string; durable: boolean; exactSearchBelow: number | undefined; nprobe: number | undefined; scanThreads: number };
  logLevel: string;
}

/** Overrides are environment variables by name (numbers and booleans allowed), applied over `env`. */
export type SearchConfigOverrides = Partial<Record<keyof SearchEnv, string | number | boolean>>;

export function loadSearchConfig(overrides: SearchConfigOverrides = {}, environment: NodeJS.ProcessEnv = process.env): Readonly<SearchConfig> {
  const merged: NodeJS.ProcessEnv = { ...environment };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) merged[name] = String(value);
  const parsed = loadConfig('search', searchEnvSchema, merged);
  const dataDir = path.resolve(parsed.DATA_DIR);
  return Object.freeze({
    grpc: {
      host: parsed.SEARCH_HOST,
      port: parsed.SEARCH_PORT,
      maxReceiveMessageBytes: parsed.MAX_RECEIVE_MESSAGE_BYTES,
      maxSendMessageBytes: parsed.MAX_SEND_MESSAGE_BYTES,
      shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    },
    metricsPort: parsed.METRICS_PORT,
    dataDir,
    taggingRefreshMs: parsed.TAGGING_REFRESH_MS,
    retagLeaseMs: parsed.RETAG_LEASE_MS,
    store: parsed.QDRANT_URL
      ? {
          kind: 'qdrant' as const,
          qdrant: {
            url: parsed.QDRANT_URL,
            apiKey: parsed.QDRANT_API_KEY,
            timeoutMs: parsed.QDRANT_TIMEOUT_MS,
            retries: parsed.QDRANT_RETRIES,
            upsertBatch: parsed.QDRANT_UPSERT_BATCH,
            hnsw: { m: parsed.HNSW_M, efConstruct: parsed.HNSW_EF_CONSTRUCT, ef: parsed.HNSW_EF },
            quantization: parsed.QUANTIZATION,
          },
        }
      : {
          kind: 'embedded' as const,
          dir: path.join(dataDir, 'vector-store'),
          durable: parsed.EMBEDDED_DURABLE,
          exactSearchBelow: parsed.EMBEDDED_EXACT_BELOW,
          nprobe: parsed.EMBEDDED_NPROBE,
          scanThreads: parsed.EMBEDDED_SCAN_THREADS,
        },
    logLevel: parsed.LOG_LEVEL,
  });
}
