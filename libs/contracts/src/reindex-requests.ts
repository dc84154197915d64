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
   * Swap the alias even when the new generation fails its gates (whole-catalog reindex only).
   * The reason is required and logged with the gate report.
   */
  force: z.strictObject({ reason: z.string().min(1).max(500) }).optional(),
  requestedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
});

export type ReindexRequested = z.infer<typeof reindexRequestedSchema>;

/** `gating`: the new generation is filled and being checked before the alias may move. */
export type ReindexJobState = 'queued' | 'running' | 'gating' | 'swapping' | 'done' | 'failed';

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
  /** Catalog events to replay (the products topic's end offsets when the job started). */
  total: number;
  /** Catalog events replayed so far. */
  done: number;
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
  /** The ingestion replica running the job (states running, gating, swapping). */
  replicaId?: string;
  /** When that replica last said it is still at it; a reader calls a job whose heartbeat is old stalled. */
  heartbeatAt?: string;
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
