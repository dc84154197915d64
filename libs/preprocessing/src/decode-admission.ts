/**
 * Admission control for image decoding: at most `concurrency` decodes run at once, at most
 * `queueLimit` wait for a slot in arrival order, and beyond that a newcomer is refused at once
 * (DecodeRefusedError, with how long to wait) instead of joining a queue it would time out in.
 * A queue limit of Infinity never refuses: the caller waits (ingestion's back-pressure).
 *
 * Why a gate at all: sharp decodes on libuv's thread pool, which this process's file reads,
 * DNS look-ups and zlib share. Unbounded decodes fill every thread and everything else waits
 * behind them (issue 16: /healthz timed out at 30 s under a flood of 40 Mpx PNGs).
 */
import os from 'node:os';

export interface DecodeAdmissionOptions {
  /** Decodes running at once (a positive integer). */
  concurrency: number;
  /** Decodes waiting for a slot before newcomers are refused (a whole number, or Infinity to always wait). */
  queueLimit: number;
}

/** The gate is full: retry after `retryAfterSeconds`. */
export class DecodeRefusedError extends Error {
  override readonly name = 'DecodeRefusedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A decode slot's hold time assumed before any decode has finished: a heavy image at the pixel limit takes about this long. */
const INITIAL_HOLD_ESTIMATE_MS = 1_000;
/** Weight of the newest hold time in the moving average: recent decodes say most about the next ones. */
const HOLD_SMOOTHING = 0.2;
/** Retry-After is capped: a client told to wait minutes would give up, and the estimate is rough that far out. */
const MAX_RETRY_AFTER_SECONDS = 30;

/**
 * Decode slots for a process of `cores` cores: one core is left to the event loop (probes,
 * JSON, gRPC), so decoding can never take every core; at least one slot.
 */
export function defaultDecodeConcurrency(cores: number = os.availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export class DecodeAdmissionGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private averageHoldMs = INITIAL_HOLD_ESTIMATE_MS;

  constructor(
    private readonly options: DecodeAdmissionOptions,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`decode concurrency must be a positive integer, got ${options.concurrency}`);
    }
    if (!(options.queueLimit === Infinity || (Number.isInteger(options.queueLimit) && options.queueLimit >= 0))) {
      throw new RangeError(`decode queue limit must be a whole number or Infinity, got ${options.queueLimit}`);
    }
  }

  /** Decodes running now. */
  get active(): number {
    return this.running;
  }

  /** Decodes waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `work` in a slot, waiting in line for one; throws DecodeRefusedError when the slots and the queue are full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    const started = this.nowMs();
    try {
      return await work();
    } finally {
      this.averageHoldMs += HOLD_SMOOTHING * (this.nowMs() - started - this.averageHoldMs);
      this.release();
    }
  }

  /**
   * Seconds until a newcomer would get a slot: everyone queued ahead of it, `concurrency` at a
   * time, each holding a slot for the recent average; at least 1 (Retry-After counts whole seconds).
   */
  retryAfterSeconds(): number {
    const roundsAhead = (this.waiting.length + 1) / this.options.concurrency;
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((roundsAhead * this.averageHoldMs) / 1000)));
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.queueLimit) {
      const seconds = this.retryAfterSeconds();
      throw new DecodeRefusedError(
        `too many images are being decoded right now (${this.running} running, ${this.waiting.length} waiting); retry in ${seconds} s`,
        seconds,
      );
    }
    // The slot passes straight from the releasing decode to the next in line (running stays the same).
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
