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
  requestedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
});

export type ReindexRequested = z.infer<typeof reindexRequestedSchema>;

export type ReindexJobState = 'queued' | 'running' | 'swapping' | 'done' | 'failed';

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
}
