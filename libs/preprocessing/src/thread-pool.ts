/**
 * Sizing libuv's thread pool for a process that decodes images. sharp decodes on that pool, and
 * so do the process's file reads, DNS look-ups (fetching image URLs), zlib and crypto: with as
 * many decode slots as threads, every one of those waits behind a decode. The pool gets the
 * decode slots plus a reserve, so the rest of the process always finds a free thread.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool is first used: call this before anything
 * does (the first import of a service's main.ts). An operator's own value is kept.
 */

/** Threads kept free of decoding: the default pool size of libuv, which the rest of the process was built against. */
export const THREAD_POOL_RESERVE = 4;

/** libuv's own ceiling for UV_THREADPOOL_SIZE. */
const LIBUV_MAX_THREADS = 1024;

export interface ThreadPoolSizing {
  size: number;
  /** Who chose the size: this function, or the operator's UV_THREADPOOL_SIZE. */
  chosenBy: 'decode-slots' | 'environment';
}

/** The pool size for `decodeSlots` concurrent decodes in this process. */
export function threadPoolSizeFor(decodeSlots: number): number {
  return Math.min(LIBUV_MAX_THREADS, decodeSlots + THREAD_POOL_RESERVE);
}

/** Sets UV_THREADPOOL_SIZE in `environment` for `decodeSlots` decodes, unless it is set already. */
export function sizeThreadPoolForDecoding(decodeSlots: number, environment: NodeJS.ProcessEnv = process.env): ThreadPoolSizing {
  const configured = Number(environment.UV_THREADPOOL_SIZE);
  if (environment.UV_THREADPOOL_SIZE?.trim() && Number.isInteger(configured) && configured > 0) return { size: configured, chosenBy: 'environment' };
  const size = threadPoolSizeFor(decodeSlots);
  environment.UV_THREADPOOL_SIZE = String(size);
  return { size, chosenBy: 'decode-slots' };
}
