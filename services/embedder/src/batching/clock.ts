/** Time as the batcher sees it; tests run it under jest's fake timers, which replace these globals. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `callback` after the I/O callbacks already waiting, so requests read in the same tick share a batch. */
  defer(callback: () => void): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  defer: (callback) => void setImmediate(callback),
};
