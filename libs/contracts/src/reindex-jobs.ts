/**
 * Reindex job records (topic `catalog.reindex-jobs.v1`, compacted, key = job id): what ingestion
 * writes on every change of a job and what every ingestion replica and the query API read, so a
 * job's state outlives the process running it. The newest record per job id wins.
 */
import { z } from 'zod';
import { REINDEX_JOB_STATES, type ReindexJob } from './reindex-requests';

export const CATALOG_REINDEX_JOBS_TOPIC = 'catalog.reindex-jobs.v1';

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });

const gateResultSchema = z.object({
  gate: z.enum(['product_count', 'failed_images', 'golden_recall', 'catalog_recall']),
  passed: z.boolean(),
  measured: z.number(),
  required: z.number(),
  live: z.number().optional(),
  detail: z.string().optional(),
});

/** One record of the jobs topic; unknown fields are kept (a newer writer may add some). */
export const reindexJobSchema = z.looseObject({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  state: z.enum(REINDEX_JOB_STATES),
  total: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
  caughtUp: z.number().int().nonnegative().optional(),
  collection: z.string(),
  previousCollection: z.string().optional(),
  error: z.string().optional(),
  startedAt: isoDateTime.optional(),
  finishedAt: isoDateTime.optional(),
  gates: z.looseObject({ passed: z.boolean(), gates: z.array(gateResultSchema), forcedReason: z.string().optional(), checkedAt: isoDateTime }).optional(),
  modelId: z.string().optional(),
  updatedAt: isoDateTime,
  replicaId: z.string().optional(),
  heartbeatAt: isoDateTime.optional(),
});

/** A job record read back from the jobs topic, or why it is not one. */
export function parseReindexJobRecord(raw: string | Uint8Array): { ok: true; value: ReindexJob } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = reindexJobSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ') };
  return { ok: true, value: parsed.data };
}

/** True when the job will change no more. */
export function isFinishedReindexJob(job: Pick<ReindexJob, 'state'>): boolean {
  return job.state === 'done' || job.state === 'failed';
}
