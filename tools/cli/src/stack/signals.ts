/**
 * Waiting for Ctrl-C (SIGINT) or SIGTERM: the first one starts a graceful stop,
 * a second one (an impatient user) ends the process at once. Under `npm start`
 * one Ctrl-C arrives twice (from the terminal, and forwarded by npm), so a
 * repeat within `sameSignalWindowMs` counts as the same one.
 */
export function waitForStopSignal(
  onSecondSignal: (signal: NodeJS.Signals) => void = () => process.exit(130),
  sameSignalWindowMs = 1000,
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let firstAt: number | undefined;
    const handler = (signal: NodeJS.Signals) => {
      if (firstAt !== undefined) {
        if (Date.now() - firstAt >= sameSignalWindowMs) onSecondSignal(signal);
        return;
      }
      firstAt = Date.now();
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/** Races `work` against a stop signal; resolves to the signal when one comes first. */
export async function untilStopped<T>(work: Promise<T>, stopSignal: Promise<NodeJS.Signals>): Promise<{ stopped: NodeJS.Signals } | { value: T }> {
  return Promise.race([work.then((value) => ({ value })), stopSignal.then((stopped) => ({ stopped }))]);
}

/** Resolves when `promise` does, or rejects after `ms` with `message`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
