/**
 * Following a reindex job through the query API until it is done or failed,
 * with a progress bar (products replayed of the total). Used by `vsearch
 * reindex` and by `npm start` when the model changed under an index. The job
 * state comes from the durable job store, so following survives the ingestion
 * replica running the job restarting (the job shows `queued`, then runs again);
 * a query API that does not answer for a while (a restart) is waited for.
 */
import { CliError } from '../cli/errors';
import { createProgress } from '../output/progress';
import { ApiResponseError, ApiUnreachableError, type QueryApiClient, type ReindexJob } from './query-api.client';

export interface FollowOptions {
  pollMs: number;
  /** Give up after this many seconds (the job goes on). */
  waitTimeoutSeconds?: number;
  /** Draw progress on stderr (default true). */
  showProgress?: boolean;
  /** A job the API does not know yet (the request is still on its way to ingestion) counts as queued this long (default 30 s). */
  unknownJobGraceMs?: number;
  /** Sleeps between polls; resolves early when the caller wants to stop (returns true then). */
  sleep?: (ms: number) => Promise<boolean | void>;
  /** How long the query API may not answer (unreachable, or 503) before following gives up (default 120 s). */
  unavailableGraceMs?: number;
  /** Where notes (stalled, the API not answering) go; stderr by default, nothing when progress is off. */
  note?: (line: string) => void;
}

const FINISHED = new Set(['done', 'failed']);

/** The job's final state; undefined when `sleep` reported a stop request first. */
export async function followReindexJob(client: QueryApiClient, jobId: string, options: FollowOptions): Promise<ReindexJob | undefined> {
  const deadline = options.waitTimeoutSeconds === undefined ? Infinity : Date.now() + options.waitTimeoutSeconds * 1000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = options.showProgress === false ? undefined : createProgress({ label: `reindex ${jobId}`, unit: 'products', total: 0 });
  const unknownUntil = Date.now() + (options.unknownJobGraceMs ?? 30_000);
  const note = options.note ?? (options.showProgress === false ? () => undefined : (line: string) => process.stderr.write(`${line}\n`));
  let unavailableSince: number | undefined;
  let last: ReindexJob = { jobId, state: 'queued', total: 0, done: 0, collection: '' };
  // The request travels through the event log: until it is recorded, the job may be unknown (404).
  const poll = async (): Promise<ReindexJob> => {
    try {
      last = await client.reindexProgress(jobId);
      if (unavailableSince !== undefined) note(`reindex ${jobId}: the query API answers again`);
      unavailableSince = undefined;
      return last;
    } catch (error) {
      if (error instanceof ApiResponseError && error.status === 404 && Date.now() < unknownUntil) return last;
      const unavailable = error instanceof ApiUnreachableError || (error instanceof ApiResponseError && error.status === 503);
      if (!unavailable) throw error;
      if (unavailableSince === undefined) note(`reindex ${jobId}: ${(error as Error).message}; still following`);
      unavailableSince ??= Date.now();
      if (Date.now() - unavailableSince > (options.unavailableGraceMs ?? 120_000)) throw error;
      return last;
    }
  };
  let job = await poll();
  let lastState = job.state;
  let wasStalled = false;
  try {
    while (!FINISHED.has(job.state)) {
      progress?.update(job.done, job.total);
      if (job.state !== lastState && options.showProgress !== false && !process.stderr.isTTY) process.stderr.write(`reindex ${jobId}: ${job.state}\n`);
      if (job.stalled && !wasStalled)
        note(`reindex ${jobId}: stalled (replica ${job.replicaId ?? '?'} silent since ${job.heartbeatAt ?? '?'}); waiting for another replica to take it over`);
      wasStalled = job.stalled === true;
      lastState = job.state;
      if (Date.now() > deadline) {
        throw new CliError(
          `gave up waiting for reindex ${jobId} after ${options.waitTimeoutSeconds} s (state ${job.state}, ${job.done}/${job.total}); it goes on in the background`,
        );
      }
      if ((await sleep(options.pollMs)) === true) return undefined;
      job = await poll();
    }
    progress?.update(job.done, job.total);
    return job;
  } finally {
    progress?.finish();
  }
}
