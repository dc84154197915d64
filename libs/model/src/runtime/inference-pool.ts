/**
 * A pool of inference workers for one tower: each run goes to the first free
 * worker, or waits its turn (first come, first served) until one is free; a
 * worker that dies is replaced, and the pool is lost only when no worker is
 * left and none could be started. Pure dispatch: the workers stand behind
 * InferenceWorkerHandle, so the logic is tested with fakes.
 *
 * Workers have a role. Throughput workers (one per core on a CPU, one thread
 * each) set how many runs compute at once. An optional latency worker, whose
 * session spreads one run over every core, takes a run only while nothing else
 * computes, in this pool or any pool sharing its ComputeActivity, and only a run
 * that may use it (the embedder keeps bulk batches off it): a lone query
 * finishes in the time of a multi-thread session (41 against 72 ms per
 * ViT-B/32 text here), and under load it stays idle, so the single-thread
 * sessions keep the throughput that beats one session's threads
 * (docs/benchmarks.md, Embedder).
 */

/** `throughput`: one of the workers that compute side by side; `latency`: used only while nothing computes (see nextSlot). */
export type InferenceWorkerRole = 'throughput' | 'latency';

/** One worker as the pool sees it: an onnxruntime session on its own thread, in production. */
export interface InferenceWorkerHandle<Job, Result> {
  run(job: Job): Promise<Result>;
  /** Stops the worker; a run in progress rejects. */
  terminate(): Promise<void>;
}

export interface InferencePoolOptions<Job, Result> {
  /** For messages: the tower's name. */
  name: string;
  /** Throughput workers to start with (more, of either role, can be added with addWorkers). */
  size: number;
  /**
   * Starts one worker of `role`. `onDeath` must be called once if the worker dies after starting
   * (its own run in progress, if any, is the handle's to reject); the pool then starts a
   * replacement of the same role.
   */
  startWorker(onDeath: (error: Error) => void, role: InferenceWorkerRole): Promise<InferenceWorkerHandle<Job, Result>>;
  /** Told when a worker died, whether a replacement is being started, and how many workers are left (for logs). */
  onWorkerDied?(error: Error, replacing: boolean, workersLeft: number): void;
  /** Shared with the other pools whose runs compete for the same cores; default: this pool's own. */
  activity?: ComputeActivity;
}

/**
 * Runs computing now in every pool that shares this object. Pools of one process share the cores,
 * so a latency worker must not start while another pool's run computes: its threads would contend
 * with that run's (measured: a text query's p50 under bulk images went from 74 to 112 ms).
 */
export class ComputeActivity {
  running = 0;
}

/** The activity of this process's model pools (both towers of every loaded model, the describer). */
export const processComputeActivity = new ComputeActivity();

/** Every worker of a tower died and none could be started again: nothing can be computed any more. */
export class InferencePoolLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InferencePoolLostError';
  }
}

/** How a run may be placed. */
export interface InferenceRunOptions {
  /**
   * Whether the latency worker may take this run when the process is idle (default true). The
   * embedder says no for batches without a shopper's item: a bulk batch on the latency worker would
   * hold every core's thread when a query arrives next.
   */
  mayUseLatencyWorker?: boolean;
}

interface Waiting<Job, Result> {
  job: Job;
  mayUseLatencyWorker: boolean;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

interface Slot<Job, Result> {
  worker: InferenceWorkerHandle<Job, Result>;
  role: InferenceWorkerRole;
  busy: boolean;
  dead: boolean;
}

export class InferencePool<Job, Result> {
  /** In start order: the first free one is the lowest, so a lightly loaded pool keeps using the same warm worker. */
  private readonly slots: Slot<Job, Result>[] = [];
  private readonly waiting: Waiting<Job, Result>[] = [];
  private readonly lostListeners: ((error: Error) => void)[] = [];
  private starting = 0;
  private lost: Error | undefined;
  private closed = false;
  private readonly activity: ComputeActivity;

  private constructor(private readonly options: InferencePoolOptions<Job, Result>) {
    this.activity = options.activity ?? new ComputeActivity();
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError(`${options.name} inference pool size must be a whole number ≥ 1, got ${options.size}`);
  }

  /**
   * Starts `size` workers one after another (loading them side by side would raise the peak memory
   * of start-up for nothing). If one fails to start, those started are stopped and the error thrown.
   */
  static async start<Job, Result>(options: InferencePoolOptions<Job, Result>): Promise<InferencePool<Job, Result>> {
    const pool = new InferencePool(options);
    try {
      while (pool.slots.length < options.size) {
        const worker = await options.startWorker(pool.deathHandlerFor(pool.slots.length), 'throughput');
        pool.slots.push({ worker, role: 'throughput', busy: false, dead: false });
      }
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * Starts `count` more workers of `role` one after another; each takes work as soon as it is
   * ready. Lets a caller size the pool after its first worker showed where it computes (one per
   * GPU, more on CPU).
   */
  async addWorkers(count: number, role: InferenceWorkerRole = 'throughput'): Promise<void> {
    for (let added = 0; added < count && !this.closed; added++) {
      const worker = await this.options.startWorker(this.deathHandlerFor(this.slots.length), role);
      if (this.closed) {
        await worker.terminate();
        return;
      }
      this.slots.push({ worker, role, busy: false, dead: false });
      this.pump();
    }
  }

  /** Workers alive now, of both roles (a replacement being started is not counted until it is ready). */
  get size(): number {
    return this.slots.filter((slot) => !slot.dead).length;
  }

  /**
   * Runs that compute at once when work queues: the live throughput workers (the latency worker
   * waits while any of them computes), or 1 while only a latency worker is left.
   */
  get concurrency(): number {
    const live = this.slots.filter((slot) => !slot.dead);
    const throughput = live.filter((slot) => slot.role === 'throughput').length;
    return throughput > 0 ? throughput : Math.min(1, live.length);
  }

  /** Workers alive and not computing. */
  get idle(): number {
    return this.slots.filter((slot) => !slot.dead && !slot.busy).length;
  }

  /** Runs `job` on the first free worker, or on the next one to become free. */
  run(job: Job, options: InferenceRunOptions = {}): Promise<Result> {
    if (this.closed) return Promise.reject(new Error(`the ${this.options.name} inference pool is closed`));
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ job, mayUseLatencyWorker: options.mayUseLatencyWorker ?? true, resolve, reject });
      this.pump();
    });
  }

  /** Called once if the pool is lost (every worker died and none could be started again). */
  onLost(listener: (error: Error) => void): void {
    this.lostListeners.push(listener);
  }

  /** Stops every worker; waiting and later runs reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closed = new Error(`the ${this.options.name} inference pool is closed`);
    for (const waiter of this.waiting.splice(0)) waiter.reject(closed);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate().catch(() => undefined)));
  }

  /** A death callback for the worker that fills slot `index`; only its first call counts. */
  private deathHandlerFor(index: number): (error: Error) => void {
    let called = false;
    return (error) => {
      if (called) return;
      called = true;
      this.handleDeath(index, error);
    };
  }

  private handleDeath(index: number, error: Error): void {
    const slot = this.slots[index];
    if (!slot || slot.dead || this.closed) return;
    slot.dead = true;
    slot.busy = false;
    this.starting++;
    this.options.onWorkerDied?.(error, true, this.size);
    void this.options.startWorker(this.deathHandlerFor(index), slot.role).then(
      (worker) => {
        this.starting--;
        if (this.closed) {
          void worker.terminate();
          return;
        }
        this.slots[index] = { worker, role: slot.role, busy: false, dead: false };
        this.pump();
      },
      (startError: unknown) => {
        this.starting--;
        const reason = startError instanceof Error ? startError.message : String(startError);
        this.options.onWorkerDied?.(new Error(`replacement failed to start: ${reason}`), false, this.size);
        this.loseIfEmpty(error);
      },
    );
  }

  private loseIfEmpty(lastError: Error): void {
    if (this.closed || this.lost || this.size > 0 || this.starting > 0) return;
    this.lost = new InferencePoolLostError(`every ${this.options.name} inference worker died and none could be started again (last: ${lastError.message})`);
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.lost);
    for (const listener of this.lostListeners) listener(this.lost);
  }

  /**
   * The worker for the next run: the latency worker while nothing computes, here or in a pool
   * sharing the activity (a lone run gets every core), otherwise the first free throughput worker
   * (the lowest, so a lightly loaded pool keeps using the same warm one). The latency worker also
   * stands in while no throughput worker is alive (all being replaced). A run that may not use it
   * (see InferenceRunOptions) goes to a throughput worker. Undefined: wait for one to finish.
   */
  private nextSlot(mayUseLatencyWorker: boolean): Slot<Job, Result> | undefined {
    const live = this.slots.filter((slot) => !slot.dead);
    const latency = live.find((slot) => slot.role === 'latency' && !slot.busy);
    if (latency && mayUseLatencyWorker && this.activity.running === 0) return latency;
    const throughput = live.find((slot) => slot.role === 'throughput' && !slot.busy);
    if (throughput) return throughput;
    return latency && !live.some((slot) => slot.role === 'throughput') ? latency : undefined;
  }

  /** Hands waiting jobs to free workers, first come first served. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const slot = this.nextSlot(this.waiting[0].mayUseLatencyWorker);
      if (!slot) return;
      const waiter = this.waiting.shift()!;
      slot.busy = true;
      this.activity.running++;
      slot.worker.run(waiter.job).then(
        (result) => this.finish(slot, () => waiter.resolve(result)),
        (error: unknown) => this.finish(slot, () => waiter.reject(error)),
      );
    }
  }

  private finish(slot: Slot<Job, Result>, settle: () => void): void {
    this.activity.running--;
    // A dead slot has been replaced in the array (or is waiting to be); only a live one is freed.
    if (!slot.dead) slot.busy = false;
    settle();
    this.pump();
  }
}
