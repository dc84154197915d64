/**
 * libuv's thread pool for `vsearch start`, where the query API and ingestion decode images in
 * this one process and share one pool with the event log's files and the image fetches' DNS
 * look-ups: both services' decode slots plus 4 free threads. The services' own main.ts size it
 * the same way for one service (@vsearch/preprocessing thread-pool.ts); this copy of the
 * defaults keeps sharp out of commands that never start a service.
 */
import os from 'node:os';

/** Threads kept free of decoding (THREAD_POOL_RESERVE in @vsearch/preprocessing). */
const RESERVE = 4;

function positiveIntOr(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value?.trim() && Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

/** Sets UV_THREADPOOL_SIZE unless the operator did; call before anything uses the pool. */
export function sizeThreadPoolForStack(environment: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): void {
  if (positiveIntOr(environment.UV_THREADPOOL_SIZE, 0) > 0) return;
  // The defaults of query-api's IMAGE_DECODE_CONCURRENCY (cores - 1) and ingestion's PREPROCESS_CONCURRENCY (4).
  const queryApiDecodes = positiveIntOr(environment.IMAGE_DECODE_CONCURRENCY, Math.max(1, cores - 1));
  const ingestionDecodes = positiveIntOr(environment.PREPROCESS_CONCURRENCY, 4);
  environment.UV_THREADPOOL_SIZE = String(Math.min(1024, queryApiDecodes + ingestionDecodes + RESERVE));
}
