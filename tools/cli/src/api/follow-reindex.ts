/**
 * Following a reindex job through the query API until it is done or failed,
 * with a progress bar (products replayed of the total). Used by `vsearch
 * reindex --wait` and by `npm start` when the model changed under an index.
 */
import { CliError } from '../cli/errors';
import { createProgress } from '../output/progress';
import { ApiResponseError, type QueryApiClient, type ReindexJob } from './query-api.client';

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
}

const FINISHED = new Set(['done', 'failed']);

/** The job's final state; undefined when `sleep` reported a stop request first. */
export async function followReindexJob(client: QueryApiClient, jobId: string, options: FollowOptions): Promise<ReindexJob | undefined> {
  const deadline = options.waitTimeoutSeconds === undefined ? Infinity : Date.now() + options.waitTimeoutSeconds * 1000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = options.showProgress === false ? undefined : createProgress({ label: `reindex ${jobId}`, unit: 'products', total: 0 });
  const unknownUntil = Date.now() + (options.unknownJobGraceMs ?? 30_000);
  // The request travels through the event log to ingestion: until it arrives, the job is unknown (404).
  const poll = async (): Promise<ReindexJob> => {
    try {
      return await client.reindexProgress(jobId);
    } catch (error) {
      if (error instanceof ApiResponseError && error.status === 404 && Date.now() < unknownUntil)
        return { jobId, state: 'queued', total: 0, done: 0, collection: '' };
      throw error;
    }
  };
  let job = await poll();
  let lastState = job.state;
  try {
    while (!FINISHED.has(job.state)) {
      progress?.update(job.done, job.total);
      if (job.state !== lastState && options.showProgress !== false && !process.stderr.isTTY) process.stderr.write(`reindex ${jobId}: ${job.state}\n`);
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
