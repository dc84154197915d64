/**
 * The open-loop arrival schedule both load runners share, like k6's
 * constant-arrival-rate executor: arrival i starts i / rate seconds after the
 * run starts whatever the server's speed, and its latency counts from that
 * scheduled moment, so queueing in the server is measured rather than hidden
 * (no coordinated omission). Time comes from a clock the caller can replace,
 * so the schedule is tested without waiting on the wall clock.
 */

/** Where the schedule's time comes from: the wall clock in a run, a fake one in a test. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Resolves once at least `ms` milliseconds have passed on this clock. */
  sleep(ms: number): Promise<void>;
}

export const wallClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One scheduled arrival, handed to the runner that sends it. */
export interface Arrival {
  index: number;
  /** Milliseconds from the arrival's scheduled start to now. */
  latencyMs(): number;
}

export interface OpenLoopOptions {
  /** Arrivals per second. */
  rate: number;
  durationMs: number;
  /** Arrivals beyond this many requests in flight are dropped and counted, as k6 does past maxVUs. */
  maxInFlight: number;
  /** Sends one arrival and records its outcome; it must not reject (record a failure instead). */
  send: (arrival: Arrival) => Promise<void>;
  dropped: () => void;
  /** Checked before each arrival; true ends the schedule early (the reindex scenario stops with its action). */
  shouldStop?: () => boolean;
  clock?: Clock;
}

/**
 * Runs the schedule and resolves once every request sent has settled, with the
 * time from the first scheduled arrival to then.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<{ elapsedMs: number }> {
  const { rate, durationMs, maxInFlight, send, dropped, shouldStop = () => false, clock = wallClock } = options;
  const started = clock.now();
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  for (let index = 0; !shouldStop(); index += 1) {
    // The offset comes from the index alone, so the number of arrivals depends
    // on rate and duration only. Comparing (started + offset) - started with the
    // duration instead rounds with the start time: at 40/s for 2 s it let an 81st
    // arrival in, about one run in five.
    const offsetMs = (index * 1000) / rate;
    if (offsetMs >= durationMs) break;
    const scheduledAt = started + offsetMs;
    const wait = scheduledAt - clock.now();
    if (wait > 0) await clock.sleep(wait);
    if (inFlight >= maxInFlight) {
      dropped();
      continue;
    }
    inFlight += 1;
    const tracked: Promise<void> = send({ index, latencyMs: () => clock.now() - scheduledAt }).finally(() => {
      inFlight -= 1;
      pending.delete(tracked);
    });
    pending.add(tracked);
  }
  await Promise.all(pending);
  return { elapsedMs: clock.now() - started };
}
