/** Reindex request contract (topic `catalog.reindex.v1`), written by the admin API, read by ingestion. */
import { z } from 'zod';

export const CATALOG_REINDEX_TOPIC = 'catalog.reindex.v1';

export const reindexRequestedSchema = z.strictObject({
  type: z.literal('reindex.requested'),
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"'),
  /**
   * Optional narrowing: only products in these categories are re-fetched and re-embedded, in
   * place in the live collection (no new generation, no alias swap; the other products stay as
   * they are). Without it the whole catalog is rebuilt into a new generation.
   */
  filter: z.strictObject({ categories: z.array(z.string().min(1).max(100)).min(1).max(20).optional() }).optional(),
  reason: z.string().max(500).optional(),
  /**
   * The model the new generation is filled with (a model rollout): one the embedder has loaded,
   * the default or the one beside it (ROLLOUT_MODEL_DIR). Unset: the embedder's default model.
   * Whole-catalog reindex only; a filtered one refreshes the live collection with its own model.
   */
  modelId: z.string().min(1).max(200).optional(),
  /**
   * Swap the alias even when the new generation fails its gates (whole-catalog reindex only).
   * The reason is required and logged with the gate report.
   */
  force: z.strictObject({ reason: z.string().min(1).max(500) }).optional(),
  requestedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
});

export type ReindexRequested = z.infer<typeof reindexRequestedSchema>;

/**
 * Swap the `products` alias back to a retained generation (`to`, or the one that served before
 * the live one). Sent on the reindex topic so that ingestion runs it in turn with reindex jobs
 * (never while a rebuild fills a generation), and recorded as a job.
 */
export const rollbackRequestedSchema = z.strictObject({
  type: z.literal('rollback.requested'),
  jobId: reindexRequestedSchema.shape.jobId,
  to: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a collection name: 1 to 128 letters, digits, "_" or "-"')
    .optional(),
  reason: z.string().max(500).optional(),
  requestedAt: reindexRequestedSchema.shape.requestedAt,
});

export type RollbackRequested = z.infer<typeof rollbackRequestedSchema>;

/** Every message of `catalog.reindex.v1`, told apart by `type`. */
export const reindexTopicMessageSchema = z.discriminatedUnion('type', [reindexRequestedSchema, rollbackRequestedSchema]);
export type ReindexTopicMessage = z.infer<typeof reindexTopicMessageSchema>;

/** What a job did: a whole-catalog rebuild into a new generation, a filtered refresh in place, or a rollback of the alias. */
export type ReindexJobKind = 'rebuild' | 'refresh' | 'rollback';

/**
 * `gating`: the new generation is filled and being checked before the alias may move.
 * `catching-up`: a rollback brings its target generation up to date from the catalog log before the alias moves to it.
 */
export const REINDEX_JOB_STATES = ['queued', 'running', 'catching-up', 'gating', 'swapping', 'done', 'failed'] as const;
export type ReindexJobState = (typeof REINDEX_JOB_STATES)[number];

/** The states of a job a replica is working on (it writes heartbeats; the others wait or take it over when they stop). */
export const ACTIVE_REINDEX_JOB_STATES: readonly ReindexJobState[] = ['running', 'catching-up', 'gating', 'swapping'];

/** True while a replica works on the job (running, catching up, gating or swapping). */
export function isActiveReindexJob(job: Pick<ReindexJob, 'state'>): boolean {
  return ACTIVE_REINDEX_JOB_STATES.includes(job.state);
}

/** The gates a new generation must pass before the alias moves to it. */
export type GateName = 'product_count' | 'failed_images' | 'golden_recall' | 'catalog_recall';

/** One gate's figures: what was measured on the new generation, against what was required. */
export interface GateResult {
  gate: GateName;
  passed: boolean;
  /** The new generation's figure (a count, a share or a recall@10). */
  measured: number;
  /** The bound it had to meet (≥ for counts and recall, ≤ for the failed-image share). */
  required: number;
  /** The live generation's figure the bound was derived from, where there is one. */
  live?: number;
  /** Words for an operator: what was compared, on how many queries, the worst misses. */
  detail?: string;
}

/** Every gate of one swap decision. */
export interface GateReport {
  passed: boolean;
  gates: GateResult[];
  /** Set when `force` swapped a generation that failed its gates. */
  forcedReason?: string;
  checkedAt: string;
}

/**
 * Progress of a reindex job, as ingestion serves it at `GET /internal/reindex/:jobId`
 * and the admin API passes it on at `GET /v1/admin/reindex/:jobId`.
 */
export interface ReindexJob {
  jobId: string;
  state: ReindexJobState;
  /** Catalog events to replay (the products topic's end offsets when the job, or a rollback's catch-up pass, started). */
  total: number;
  /** Catalog events replayed so far. */
  done: number;
  /** A rollback's catch-up (state `catching-up`): products the target generation lacked or held stale, written or deleted there so far. */
  caughtUp?: number;
  /** The new generation being filled; for a filtered reindex, the live collection refreshed in place. */
  collection: string;
  /** The generation the alias pointed at before the swap (whole-catalog reindex only: a filtered one swaps nothing). */
  previousCollection?: string;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The gate report of a whole-catalog reindex, once its generation was checked (a failed gate leaves `state` failed and the new generation kept). */
  gates?: GateReport;
  /** The model the new generation holds (name@version+dtype). */
  modelId?: string;
  /** Last change of this record; a durable job store keeps the newest record per job id. */
  updatedAt?: string;
  /** What the job does (absent on records written before jobs had kinds: a rebuild or a refresh). */
  kind?: ReindexJobKind;
  /** The ingestion replica running the job (states running, catching-up, gating, swapping). */
  replicaId?: string;
  /** When that replica last said it is still at it; a reader calls a job whose heartbeat is old stalled. */
  heartbeatAt?: string;
}

/**
 * Where a generation stands: `live` behind the alias; `building` filled by a rebuild; `retained`
 * served before and kept for a rollback until retention ends; `rejected` failed its gates and
 * kept for inspection (no live writes); `unknown` no job record says how it came to be.
 */
export type GenerationStatus = 'live' | 'building' | 'retained' | 'rejected' | 'unknown';

/** One index generation as `GET /internal/generations` (ingestion) and `GET /v1/admin/generations` list it. */
export interface GenerationInfo {
  name: string;
  status: GenerationStatus;
  modelId: string;
  dimension: number;
  productCount: number;
  /** Stored image vectors (the collection's size). */
  pointCount: number;
  /** Whether live catalog writes reach it (the alias target, a generation being filled, a retained one; each only while the embedder has its model loaded). */
  receivesWrites: boolean;
  /** The job that built it, and when that job started (its creation). */
  builtBy?: string;
  createdAt?: string;
  /** When the alias last moved to it, and (for a retained one) away from it. */
  swappedInAt?: string;
  swappedOutAt?: string;
  /** Its gate report from the rebuild that filled it. */
  gates?: GateReport;
  /** When the sweeper may drop it (retained or rejected), once retention ends. */
  dropAfter?: string;
  damage?: string;
}

/**
 * Where reindex job records live so that any ingestion replica and the query API read the same
 * state, across restarts (a compacted topic or a store, never one process's memory).
 */
export interface ReindexJobStore {
  /** Records the job's current state (the newest record per job id wins). */
  put(job: ReindexJob): Promise<void>;
  get(jobId: string): Promise<ReindexJob | undefined>;
  /** Every known job, newest first. */
  list(): Promise<ReindexJob[]>;
}
