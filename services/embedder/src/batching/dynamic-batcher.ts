/**
 * Dynamic batching for one model tower, after NVIDIA Triton's dynamic batcher
 * (max batch size, max queue delay) with the idle-model rule made explicit:
 *
 * - a full batch is dispatched at once; a partial one waits at most
 *   `maxWaitMs` after its oldest item arrived, and not at all when that item
 *   already waited that long behind a busy model. Nor does it wait while the
 *   model is idle if it holds a single request, or if requests have been
 *   arriving further apart than the time left to wait: a lone query is not
 *   held for company that is not coming (Triton would hold it the full delay);
 * - two lanes: interactive items fill a batch before bulk ones, except for
 *   `minBulkSlots` slots per batch kept for bulk while bulk work waits, so a
 *   stream of queries never starves indexing;
 * - each lane holds at most `maxQueueItems` items; a request that does not fit
 *   is refused whole (RESOURCE_EXHAUSTED) instead of growing memory;
 * - items whose request's deadline passed, or whose request was cancelled or
 *   failed, are dropped before inference;
 * - a request's items may span several batches; its results come back in
 *   order once all are done;
 * - if inference throws, every request with an item in that batch gets the
 *   error, and the batcher carries on with the next batch;
 * - as many batches compute at once as the tower has inference workers
 *   (`workers`), each formed when a worker is free; with two or more, one
 *   worker is kept for shoppers: while interactive requests keep arriving (on
 *   either tower: ShopperPresence) and bulk work already computes on another
 *   worker, the last free worker takes interactive items only, so a query
 *   neither waits behind bulk batches nor shares its batch with bulk items,
 *   nor finds every core taken by the other tower's bulk work. Bulk batches on
 *   the last free worker are capped at maxBatchWhileInteractive even when no
 *   shopper is about, so the first query after a quiet spell waits for a short
 *   batch at most.
 */
import { BatchRejection } from './batch-rejection';
import { systemClock, type Clock } from './clock';
import { ShopperPresence } from './shopper-presence';
import { openTicket, settleItem, type Ticket } from './ticket';

export type Lane = 'interactive' | 'bulk';
export const LANES: readonly Lane[] = ['interactive', 'bulk'];

export interface BatchStats {
  size: number;
  byLane: Record<Lane, number>;
  /** Time spent in `runBatch`. */
  durationMs: number;
  error?: unknown;
}

/** Observation points for metrics; all optional. */
export interface BatcherHooks {
  /** Items waiting per lane, after every change. */
  queueDepth?(depth: Record<Lane, number>): void;
  /** How long one item waited in its lane before its batch started. */
  queueDelay?(lane: Lane, ms: number): void;
  batchFinished?(stats: BatchStats): void;
  /** Items refused or dropped, with the reason. */
  rejected?(lane: Lane, code: BatchRejection['code'], items: number): void;
}

export interface DynamicBatcherOptions<I, O> {
  /** For messages: the tower's name. */
  name: string;
  maxBatch: number;
  maxWaitMs: number;
  /** Per lane. */
  maxQueueItems: number;
  /**
   * Largest batch bulk items may fill while shoppers are about (an interactive request arrived
   * within the last `interactiveWindowMs`): a query waits for the batch in flight and then computes
   * in the next, so shorter batches bound its wait, at the price of some bulk throughput only while
   * queries come in. Interactive items still batch up to maxBatch. Default maxBatch (no cap).
   */
  maxBatchWhileInteractive?: number;
  /** How long after an interactive arrival the cap holds (default 1000 ms). */
  interactiveWindowMs?: number;
  /** Slots of every batch reserved for bulk items while any wait (default an eighth of maxBatch, at least 1). */
  minBulkSlots?: number;
  /**
   * Batches that may compute at once: the tower's live inference workers, asked before every
   * dispatch (fewer while a crashed worker is being replaced). Default 1.
   */
  workers?: () => number;
  /**
   * Shopper presence shared with the other tower's batcher, for the worker kept for shoppers
   * (default: this batcher's own, over interactiveWindowMs). The bulk batch cap still follows
   * this tower's own interactive arrivals.
   */
  shoppers?: ShopperPresence;
  /**
   * Embeds one batch; must return one output per input, in order. `batch.interactive`: whether a
   * shopper's item is in it (the embedder lets only such batches take the latency worker).
   */
  runBatch: (inputs: I[], batch: { interactive: boolean }) => Promise<O[]>;
  clock?: Clock;
  hooks?: BatcherHooks;
}

export interface SubmitOptions {
  lane: Lane;
  /** Absolute time on the batcher's clock after which the request's items are dropped. */
  deadline?: number;
  /** Cancels the request: queued items are removed, the promise rejects with CANCELLED. */
  signal?: AbortSignal;
}

interface Entry<I, O> {
  ticket: Ticket<O>;
  index: number;
  input: I;
  enqueuedAt: number;
}

export class DynamicBatcher<I, O> {
  private readonly queues: Record<Lane, Entry<I, O>[]> = { interactive: [], bulk: [] };
  private readonly clock: Clock;
  private readonly minBulkSlots: number;
  /** Batches computing now, and how many of them hold bulk items. */
  private inFlight = 0;
  private bulkInFlight = 0;
  private timer: { handle: unknown; at: number } | undefined;
  private deferred = false;
  private accepting = true;
  private idleWaiters: (() => void)[] = [];
  /** Moving average of the time between requests (ms); infinite until two have arrived. */
  private arrivalGapMs = Number.POSITIVE_INFINITY;
  private lastArrival: number | undefined;
  private lastInteractiveArrival = Number.NEGATIVE_INFINITY;
  private readonly shoppers: ShopperPresence;

  constructor(private readonly options: DynamicBatcherOptions<I, O>) {
    if (!(options.maxBatch >= 1)) throw new RangeError('maxBatch must be at least 1');
    if (!(options.maxWaitMs >= 0)) throw new RangeError('maxWaitMs must not be negative');
    if (!(options.maxQueueItems >= 1)) throw new RangeError('maxQueueItems must be at least 1');
    this.clock = options.clock ?? systemClock;
    this.shoppers = options.shoppers ?? new ShopperPresence(options.interactiveWindowMs ?? 1000);
    if (options.maxBatchWhileInteractive !== undefined && !(options.maxBatchWhileInteractive >= 1))
      throw new RangeError('maxBatchWhileInteractive must be at least 1');
    this.minBulkSlots = Math.min(options.maxBatch, Math.max(1, options.minBulkSlots ?? Math.floor(options.maxBatch / 8)));
  }

  /** Items waiting per lane (not counting the batch being computed). */
  depth(): Record<Lane, number> {
    return { interactive: this.queues.interactive.length, bulk: this.queues.bulk.length };
  }

  /**
   * Refuses `count` items now, as `submit` would (counted like its refusals), or returns undefined
   * if they would fit: lets a caller skip expensive preparation (decoding images) for a call the
   * queue cannot take. `submit` checks again, since the queue may fill meanwhile.
   */
  refuseIfFull(lane: Lane, count: number): BatchRejection | undefined {
    const refusal = this.refusalFor(lane, count);
    if (refusal) this.options.hooks?.rejected?.(lane, refusal.code, count);
    return refusal;
  }

  private refusalFor(lane: Lane, count: number): BatchRejection | undefined {
    if (!this.accepting) return new BatchRejection('UNAVAILABLE', `${this.options.name} batcher is shutting down`);
    const waiting = this.queues[lane].length;
    if (waiting + count > this.options.maxQueueItems) {
      return new BatchRejection(
        'RESOURCE_EXHAUSTED',
        `${this.options.name} ${lane} queue is full (${waiting} of ${this.options.maxQueueItems} items waiting, ${count} more asked); retry later`,
      );
    }
    return undefined;
  }

  /** Queues `inputs` and resolves with their outputs in the same order. */
  submit(inputs: readonly I[], options: SubmitOptions): Promise<O[]> {
    const { lane } = options;
    const refusal = this.refusalFor(lane, inputs.length);
    if (refusal) return this.refuse(lane, refusal, inputs.length);
    if (inputs.length === 0) return Promise.resolve([]);
    const queue = this.queues[lane];
    if (options.signal?.aborted) return this.refuse(lane, new BatchRejection('CANCELLED', 'request cancelled'), inputs.length);

    this.noteArrival();
    if (lane === 'interactive') {
      this.lastInteractiveArrival = this.clock.now();
      this.shoppers.noteArrival(this.lastInteractiveArrival);
    }
    const [ticket, promise] = openTicket<O>(inputs.length, options, (cancelled, rejection) => this.fail(cancelled, rejection, 'CANCELLED'));
    const enqueuedAt = this.clock.now();
    inputs.forEach((input, index) => queue.push({ ticket, index, input, enqueuedAt }));
    this.reportDepth();
    this.schedule();
    return promise;
  }

  /**
   * Stops taking new requests and resolves once every queued item has been
   * computed (partial batches go at once, without waiting for more items).
   */
  drain(): Promise<void> {
    this.accepting = false;
    this.schedule();
    if (this.inFlight === 0 && this.queued() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** True when every item the next batch may take belongs to the same request (a worker is free whenever this is asked). */
  private holdsOneRequest(lanes: readonly Lane[]): boolean {
    const ticket = (this.queues.interactive[0] ?? this.queues.bulk[0])?.ticket;
    return lanes.every((lane) => this.queues[lane].every((entry) => entry.ticket === ticket));
  }

  private noteArrival(): void {
    const now = this.clock.now();
    if (this.lastArrival !== undefined) {
      // Capped, so a quiet spell does not make the batcher ignore a returning burst for long.
      const gap = Math.min(now - this.lastArrival, 4 * this.options.maxWaitMs);
      this.arrivalGapMs = Number.isFinite(this.arrivalGapMs) ? 0.8 * this.arrivalGapMs + 0.2 * gap : gap;
    }
    this.lastArrival = now;
  }

  private queued(): number {
    return this.queues.interactive.length + this.queues.bulk.length;
  }

  private workerCount(): number {
    return Math.max(1, this.options.workers?.() ?? 1);
  }

  private shoppersAbout(): boolean {
    return this.clock.now() - this.lastInteractiveArrival <= (this.options.interactiveWindowMs ?? 1000);
  }

  /**
   * True when the next batch goes to the worker kept for shoppers: the last free one of two or
   * more, while interactive requests keep arriving and bulk work computes on another worker.
   */
  private nextBatchIsInteractiveOnly(): boolean {
    const workers = this.workerCount();
    return workers >= 2 && this.inFlight === workers - 1 && this.bulkInFlight > 0 && this.shoppers.about(this.clock.now());
  }

  /** Decides whether to start a batch now, soon (after pending I/O), or when the oldest item's wait ends. */
  private schedule(): void {
    if (this.inFlight >= this.workerCount()) return;
    const queued = this.queued();
    if (queued === 0) {
      this.cancelTimer();
      this.notifyIdle();
      return;
    }
    const interactiveOnly = this.nextBatchIsInteractiveOnly();
    // Only bulk work waits and the free worker is the shoppers': it waits for a bulk batch to finish.
    if (interactiveOnly && this.queues.interactive.length === 0) {
      this.cancelTimer();
      return;
    }
    const takeable = interactiveOnly ? this.queues.interactive.length : queued;
    if (takeable >= (interactiveOnly ? this.options.maxBatch : this.batchLimit())) {
      this.cancelTimer();
      void this.dispatch();
      return;
    }
    const dueAt = this.oldestEnqueuedAt() + this.options.maxWaitMs;
    const now = this.clock.now();
    // Waiting only pays when more requests are likely to arrive before the batch is due.
    if (!this.accepting || now >= dueAt || this.arrivalGapMs >= dueAt - now || this.holdsOneRequest(interactiveOnly ? ['interactive'] : LANES)) {
      this.cancelTimer();
      if (!this.deferred) {
        this.deferred = true;
        this.clock.defer(() => {
          this.deferred = false;
          void this.dispatch();
        });
      }
      return;
    }
    if (this.timer && this.timer.at <= dueAt) return;
    this.cancelTimer();
    const handle = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, dueAt - this.clock.now());
    this.timer = { handle, at: dueAt };
  }

  /** Starts one batch on a free worker if one is free and there is work it may take, then looks for more. */
  private async dispatch(): Promise<void> {
    if (this.inFlight >= this.workerCount()) return;
    const batch = this.takeBatch();
    if (batch.length === 0) {
      this.schedule();
      return;
    }
    const holdsBulk = batch.some((entry) => entry.ticket.lane === 'bulk');
    this.inFlight++;
    if (holdsBulk) this.bulkInFlight++;
    // Started before looking for more work, so batches reach the workers in the order they were taken.
    const computing = this.runBatch(batch);
    // Another worker may be free for what is left.
    this.schedule();
    try {
      await computing;
    } finally {
      this.inFlight--;
      if (holdsBulk) this.bulkInFlight--;
      this.schedule();
    }
  }

  /**
   * Largest batch bulk items may fill: maxBatch, or the smaller cap while interactive requests keep
   * arriving, or on the last free worker of several (the first query after a quiet spell then
   * waits for a short batch at most, not for full ones on every worker).
   */
  private batchLimit(): number {
    const { maxBatch, maxBatchWhileInteractive = maxBatch } = this.options;
    const workers = this.workerCount();
    const lastFreeWorker = workers >= 2 && this.inFlight === workers - 1;
    return this.shoppersAbout() || lastFreeWorker ? Math.min(maxBatch, maxBatchWhileInteractive) : maxBatch;
  }

  /**
   * Drops expired items, then takes a batch: bulk's reserved slots first, interactive items up to
   * maxBatch, then bulk items while the batch is under batchLimit() (the cap holds back bulk work
   * only; interactive items are never held back by it). On the worker kept for shoppers, only
   * interactive items: bulk is served by the other workers meanwhile, so it is not starved.
   */
  private takeBatch(): Entry<I, O>[] {
    this.dropExpired(this.clock.now());
    const { interactive, bulk } = this.queues;
    const { maxBatch } = this.options;
    const limit = this.nextBatchIsInteractiveOnly() ? 0 : this.batchLimit();
    // At most half of a capped batch (one slot at least), so interactive items still get in.
    const reservedForBulk = limit === 0 ? 0 : Math.min(bulk.length, this.minBulkSlots, Math.max(1, Math.floor(limit / 2)));
    const fromInteractive = Math.min(interactive.length, maxBatch - reservedForBulk);
    const fromBulk = Math.min(bulk.length, maxBatch - fromInteractive, Math.max(reservedForBulk, limit - fromInteractive));
    const batch = [...interactive.splice(0, fromInteractive), ...bulk.splice(0, fromBulk)];
    if (batch.length > 0) this.reportDepth();
    const now = this.clock.now();
    for (const entry of batch) this.options.hooks?.queueDelay?.(entry.ticket.lane, now - entry.enqueuedAt);
    return batch;
  }

  private async runBatch(batch: Entry<I, O>[]): Promise<void> {
    const started = this.clock.now();
    const byLane: Record<Lane, number> = { interactive: 0, bulk: 0 };
    for (const entry of batch) byLane[entry.ticket.lane]++;
    let outputs: O[];
    try {
      outputs = await this.options.runBatch(
        batch.map((entry) => entry.input),
        { interactive: byLane.interactive > 0 },
      );
      if (outputs.length !== batch.length) {
        throw new Error(`${this.options.name} model returned ${outputs.length} outputs for a batch of ${batch.length}`);
      }
    } catch (error) {
      this.options.hooks?.batchFinished?.({ size: batch.length, byLane, durationMs: this.clock.now() - started, error });
      for (const entry of batch) this.fail(entry.ticket, error);
      return;
    }
    this.options.hooks?.batchFinished?.({ size: batch.length, byLane, durationMs: this.clock.now() - started });
    batch.forEach((entry, i) => settleItem(entry.ticket, entry.index, outputs[i]));
  }

  private dropExpired(now: number): void {
    for (const lane of LANES) {
      for (const entry of this.queues[lane]) {
        if (entry.ticket.deadline <= now && !entry.ticket.settled) {
          this.fail(
            entry.ticket,
            new BatchRejection('DEADLINE_EXCEEDED', `deadline passed after ${Math.round(now - entry.enqueuedAt)} ms in the ${lane} queue`),
            'DEADLINE_EXCEEDED',
          );
        }
      }
    }
  }

  /** Settles a request with an error and removes its items still waiting. */
  private fail(ticket: Ticket<O>, error: unknown, code?: BatchRejection['code']): void {
    if (ticket.settled) return;
    ticket.settled = true;
    ticket.detach();
    const queue = this.queues[ticket.lane];
    const kept = queue.filter((entry) => entry.ticket !== ticket);
    const removed = queue.length - kept.length;
    if (removed > 0) {
      this.queues[ticket.lane] = kept;
      this.reportDepth();
    }
    if (code) this.options.hooks?.rejected?.(ticket.lane, code, removed);
    ticket.reject(error);
    if (removed > 0) this.schedule();
  }

  private refuse(lane: Lane, rejection: BatchRejection, items: number): Promise<never> {
    this.options.hooks?.rejected?.(lane, rejection.code, items);
    return Promise.reject(rejection);
  }

  private oldestEnqueuedAt(): number {
    const heads = LANES.map((lane) => this.queues[lane][0]?.enqueuedAt ?? Number.POSITIVE_INFINITY);
    return Math.min(...heads);
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
  }

  private reportDepth(): void {
    this.options.hooks?.queueDepth?.(this.depth());
  }

  private notifyIdle(): void {
    if (this.inFlight > 0 || this.queued() > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
