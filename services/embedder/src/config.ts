/**
 * Embedder configuration: every environment variable it reads, validated at
 * start-up (a bad one stops the service naming it), with defaults that run
 * the bundled model on this machine's CPU when no GPU is present.
 */
import { z } from 'zod';
import { env, loadConfig } from '@vsearch/config';
import { BUNDLED_DESCRIBER_DIR, BUNDLED_MODEL_DIR, EXECUTION_PROVIDERS, type ExecutionProvider, type WorkerCount } from '@vsearch/model';

const MIB = 1024 * 1024;

/**
 * A whole number ≥ `minimum` (1 by default; 0 where 0 turns the thing off), or `auto` (the default)
 * for the rule measured in inference-sizing.ts.
 */
const countOrAuto = (minimum: 0 | 1 = 1) => {
  const error = minimum === 0 ? 'must be auto or a whole number ≥ 0 (0: off)' : 'must be auto or a whole number ≥ 1';
  return z
    .string()
    .trim()
    .default('auto')
    .pipe(z.union([z.literal('auto'), z.coerce.number<string>({ error }).int({ error }).min(minimum, { error })], { error }));
};

export const embedderEnvSchema = z
  .object({
    EMBEDDER_PORT: env.port(50051),
    EMBEDDER_HOST: z.string().min(1).default('0.0.0.0'),
    METRICS_PORT: env.port(9464),
    MODEL_DIR: z.string().min(1).default(BUNDLED_MODEL_DIR),
    /**
     * A second model loaded beside MODEL_DIR's during a model rollout (the model a reindex fills the
     * next generation with): requests name it by model id; unset: MODEL_DIR's model alone. It gets
     * its own sessions, inference workers and batchers with the same settings as the default one.
     */
    ROLLOUT_MODEL_DIR: z.string().trim().min(1).optional(),
    /** Tried in order; unavailable ones are skipped with a log line. */
    EXECUTION_PROVIDERS: z
      .string()
      .default('cuda,cpu')
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(EXECUTION_PROVIDERS as [ExecutionProvider, ...ExecutionProvider[]])).min(1, 'name at least one of cuda, cpu')),
    /** onnxruntime intra-op threads per session; `auto`: 1 (measured: single-thread sessions side by side beat threads of one session). */
    INTRA_OP_THREADS: countOrAuto(),
    /**
     * Inference workers (sessions, each on its own thread) per tower; `auto`: one per GPU, or on a
     * CPU one per core for the threads each uses (at most 8). Needs INFERENCE_THREAD=worker.
     */
    INFERENCE_WORKERS: countOrAuto(),
    /**
     * Intra-op threads of one more session per tower that takes a batch holding a shopper's item only
     * while nothing else computes, so a lone query computes on every core; 0 turns it off. `auto`: on a CPU
     * whose workers use fewer threads than there are cores, one per core (at most 8); none on a GPU.
     * Costs one more copy of each tower's weights. Needs INFERENCE_THREAD=worker.
     */
    LATENCY_WORKER_THREADS: countOrAuto(0),
    /**
     * Whether idle onnxruntime threads spin waiting for work. Off by default: the two towers compute
     * side by side and share the cores with gRPC; spinning pools then take the CPU the other needs.
     */
    INTRA_OP_SPINNING: env.boolean(false),
    /** Where onnxruntime computes: 'worker' (a worker thread; the event loop stays free for I/O and probes) or 'main'. */
    INFERENCE_THREAD: z.enum(['worker', 'main']).default('worker'),
    /** Largest batch the model computes at once, per tower. */
    MAX_BATCH: env.positiveInt(32),
    /** Longest a partial batch waits for more items while the model is idle. */
    MAX_WAIT_MS: env.nonNegativeInt(5),
    /** Items waiting per tower and lane before calls are refused with RESOURCE_EXHAUSTED. */
    MAX_QUEUE: env.positiveInt(2048),
    /**
     * Largest batch bulk items may fill while interactive requests keep arriving (one within the
     * last second): a query waits for the batch in flight, so smaller batches bound its wait; bulk
     * work goes on in smaller batches meanwhile (interactive items still batch up to MAX_BATCH). Default MAX_BATCH / 4; MAX_BATCH turns the cap off. A pod that only ever
     * sees one lane (the chart's interactive and bulk pools) is not affected.
     */
    MAX_BATCH_WHILE_INTERACTIVE: z.coerce.number().int().positive().optional(),
    /** Batch slots kept for bulk items while interactive ones wait too (the bulk floor); default MAX_BATCH / 8. */
    BULK_MIN_SLOTS: z.coerce.number().int().positive().optional(),
    /** Items (images or texts) one call may carry. */
    MAX_ITEMS_PER_CALL: env.positiveInt(256),
    /** UTF-8 bytes one text may have (the context is short; longer input is a client mistake). */
    MAX_TEXT_BYTES: env.positiveInt(4096),
    /** Bytes of one encoded image. */
    MAX_ENCODED_IMAGE_BYTES: env.positiveInt(20 * MIB),
    /** Decoded pixels (width × height) of one encoded image; above it the file is refused as a decompression bomb. */
    MAX_IMAGE_PIXELS: env.positiveInt(40_000_000),
    /** Encoded images decoded at once (sharp runs on libuv's thread pool, off the event loop). */
    PREPROCESS_CONCURRENCY: env.positiveInt(4),
    MAX_RECEIVE_MESSAGE_BYTES: env.positiveInt(64 * MIB),
    MAX_SEND_MESSAGE_BYTES: env.positiveInt(16 * MIB),
    /** How long a shutdown waits for in-flight calls and queued batches. */
    SHUTDOWN_GRACE_MS: env.positiveInt(15_000),
    /**
     * Serve visualsearch.describer.v1.DescriberService (alt text, answers about a photo) beside the
     * embeddings. On by default, so the default stack describes as it searches; off on pods that only
     * embed (it holds a second model and a decoding loop).
     */
    DESCRIBER_ENABLED: env.boolean(true),
    /** A `kind: "describer"` model directory. */
    DESCRIBER_MODEL_DIR: z.string().min(1).default(BUNDLED_DESCRIBER_DIR),
    /** Decoder rows (sequences × beams) sharing one step at most; 1 turns step batching off. */
    DESCRIBER_MAX_ROWS: env.positiveInt(32),
    /** Rows kept for bulk sequences while they wait behind interactive ones; default DESCRIBER_MAX_ROWS / 8. */
    DESCRIBER_MIN_BULK_ROWS: z.coerce.number().int().positive().optional(),
    /** Bulk sequences that may join one step while a shopper's sequence decodes; default DESCRIBER_MIN_BULK_ROWS. */
    DESCRIBER_MAX_BULK_JOINS_WHILE_INTERACTIVE: z.coerce.number().int().positive().optional(),
    /** Sequences waiting per lane before calls are refused with RESOURCE_EXHAUSTED. */
    DESCRIBER_MAX_QUEUE: env.positiveInt(256),
    /** Images one Describe call may carry. */
    DESCRIBER_MAX_IMAGES_PER_CALL: env.positiveInt(32),
    /** Characters one question may have (the model reads a few dozen words; a longer text is a client mistake). */
    DESCRIBER_MAX_QUESTION_CHARS: env.positiveInt(500),
    /** onnxruntime intra-op threads of the describer's sessions. */
    DESCRIBER_INTRA_OP_THREADS: env.positiveInt(1),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((value, context) => {
    if (value.INFERENCE_THREAD === 'main' && value.INFERENCE_WORKERS !== 'auto' && value.INFERENCE_WORKERS > 1) {
      context.addIssue({
        code: 'custom',
        path: ['INFERENCE_WORKERS'],
        message: 'must be 1 or auto with INFERENCE_THREAD=main: sessions on the event loop run one at a time',
      });
    }
    if (value.INFERENCE_THREAD === 'main' && value.LATENCY_WORKER_THREADS !== 'auto' && value.LATENCY_WORKER_THREADS > 0) {
      context.addIssue({
        code: 'custom',
        path: ['LATENCY_WORKER_THREADS'],
        message: 'must be 0 or auto with INFERENCE_THREAD=main: a latency worker is a session on a worker thread of its own',
      });
    }
    if (value.DESCRIBER_MAX_IMAGES_PER_CALL > value.DESCRIBER_MAX_QUEUE) {
      context.addIssue({
        code: 'custom',
        path: ['DESCRIBER_MAX_IMAGES_PER_CALL'],
        message: `must not exceed DESCRIBER_MAX_QUEUE (${value.DESCRIBER_MAX_QUEUE}), or a full call could never be queued`,
      });
    }
    if (value.MAX_ITEMS_PER_CALL > value.MAX_QUEUE) {
      context.addIssue({
        code: 'custom',
        path: ['MAX_ITEMS_PER_CALL'],
        message: `must not exceed MAX_QUEUE (${value.MAX_QUEUE}), or a full call could never be queued`,
      });
    }
  });

export type EmbedderEnv = z.input<typeof embedderEnvSchema>;

export interface EmbedderConfig {
  grpc: { host: string; port: number; maxReceiveMessageBytes: number; maxSendMessageBytes: number; shutdownGraceMs: number };
  metricsPort: number;
  model: {
    dir: string;
    /** ROLLOUT_MODEL_DIR: the model loaded beside the default one during a rollout. */
    rolloutDir: string | undefined;
    executionProviders: ExecutionProvider[];
    intraOpThreads: WorkerCount;
    /** Per tower. */
    inferenceWorkers: WorkerCount;
    /** Per tower; 0: no latency worker. */
    latencyWorkerThreads: WorkerCount;
    intraOpSpinning: boolean;
    inferenceThread: 'worker' | 'main';
  };
  batching: { maxBatch: number; maxWaitMs: number; maxQueueItems: number; minBulkSlots: number | undefined; maxBatchWhileInteractive: number };
  limits: { maxItemsPerCall: number; maxTextBytes: number; maxEncodedImageBytes: number; maxImagePixels: number };
  preprocessConcurrency: number;
  /** Undefined when the describer is off. */
  describer:
    | {
        modelDir: string;
        intraOpThreads: number;
        batching: { maxRows: number; maxQueueItems: number; minBulkRows: number | undefined; maxBulkJoinsWhileInteractive: number | undefined };
        limits: { maxImagesPerCall: number; maxQuestionChars: number };
      }
    | undefined;
  logLevel: string;
}

/** Overrides are environment variables by name (numbers allowed), applied over `env`. */
export type EmbedderConfigOverrides = Partial<Record<keyof EmbedderEnv, string | number>>;

export function loadEmbedderConfig(overrides: EmbedderConfigOverrides = {}, environment: NodeJS.ProcessEnv = process.env): Readonly<EmbedderConfig> {
  const merged: NodeJS.ProcessEnv = { ...environment };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) merged[name] = String(value);
  const parsed = loadConfig('embedder', embedderEnvSchema, merged);
  return Object.freeze({
    grpc: {
      host: parsed.EMBEDDER_HOST,
      port: parsed.EMBEDDER_PORT,
      maxReceiveMessageBytes: parsed.MAX_RECEIVE_MESSAGE_BYTES,
      maxSendMessageBytes: parsed.MAX_SEND_MESSAGE_BYTES,
      shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    },
    metricsPort: parsed.METRICS_PORT,
    model: {
      dir: parsed.MODEL_DIR,
      rolloutDir: parsed.ROLLOUT_MODEL_DIR,
      executionProviders: [...parsed.EXECUTION_PROVIDERS],
      intraOpThreads: parsed.INTRA_OP_THREADS,
      // Sessions on the event loop run one at a time: a second would only hold memory.
      inferenceWorkers: parsed.INFERENCE_THREAD === 'main' ? 1 : parsed.INFERENCE_WORKERS,
      latencyWorkerThreads: parsed.INFERENCE_THREAD === 'main' ? 0 : parsed.LATENCY_WORKER_THREADS,
      intraOpSpinning: parsed.INTRA_OP_SPINNING,
      inferenceThread: parsed.INFERENCE_THREAD,
    },
    batching: {
      maxBatch: parsed.MAX_BATCH,
      maxWaitMs: parsed.MAX_WAIT_MS,
      maxQueueItems: parsed.MAX_QUEUE,
      minBulkSlots: parsed.BULK_MIN_SLOTS,
      maxBatchWhileInteractive: parsed.MAX_BATCH_WHILE_INTERACTIVE ?? Math.max(1, Math.floor(parsed.MAX_BATCH / 4)),
    },
    limits: {
      maxItemsPerCall: parsed.MAX_ITEMS_PER_CALL,
      maxTextBytes: parsed.MAX_TEXT_BYTES,
      maxEncodedImageBytes: parsed.MAX_ENCODED_IMAGE_BYTES,
      maxImagePixels: parsed.MAX_IMAGE_PIXELS,
    },
    preprocessConcurrency: parsed.PREPROCESS_CONCURRENCY,
    describer: parsed.DESCRIBER_ENABLED
      ? {
          modelDir: parsed.DESCRIBER_MODEL_DIR,
          intraOpThreads: parsed.DESCRIBER_INTRA_OP_THREADS,
          batching: {
            maxRows: parsed.DESCRIBER_MAX_ROWS,
            maxQueueItems: parsed.DESCRIBER_MAX_QUEUE,
            minBulkRows: parsed.DESCRIBER_MIN_BULK_ROWS,
            maxBulkJoinsWhileInteractive: parsed.DESCRIBER_MAX_BULK_JOINS_WHILE_INTERACTIVE,
          },
          limits: { maxImagesPerCall: parsed.DESCRIBER_MAX_IMAGES_PER_CALL, maxQuestionChars: parsed.DESCRIBER_MAX_QUESTION_CHARS },
        }
      : undefined,
    logLevel: parsed.LOG_LEVEL,
  });
}
