/**
 * Step-level batching for a generative decoder (continuous batching, after Orca and vLLM): the
 * sequences in flight share one decoder call per step; new requests join at step boundaries
 * (their images prepared together, their prompts fed in the step they join: the describer's model
 * encodes the joining images and groups the prompt rows into one prefill call beside the one-token
 * rows, all in one worker message), and a finished sequence leaves at once, so a short answer never
 * waits for a long description.
 *
 * - rows, not requests, fill a step: a greedy sequence is one row, a beam search up to beamWidth;
 *   at most `maxRows` rows are in flight (a sequence wider than that runs alone);
 * - two lanes, as the embedder's DynamicBatcher: interactive sequences join first, except for
 *   `minBulkRows` rows kept for bulk work while it waits, so shoppers' questions never starve
 *   indexing, and while a shopper's sequence decodes at most `maxBulkJoinsWhileInteractive` bulk
 *   sequences join per step (each joiner adds encoding and prefill to the step the shopper waits
 *   on); each lane queues at most `maxQueueItems` sequences and refuses a request that does not
 *   fit whole (RESOURCE_EXHAUSTED);
 * - a request whose deadline passed, or that was cancelled, leaves the batch at the next step
 *   boundary (queued or in flight) and fails with DEADLINE_EXCEEDED / CANCELLED;
 * - if the model throws, every request with a sequence in that call fails with the error and
 *   the batcher carries on with the rest of the queue.
 * `maxRows: 1` turns step batching off (one sequence at a time), for comparison.
 */
import { RepetitionGuard, SequenceSearch, type PendingRow, type RowOutput, type SearchResult } from '@vsearch/decoding';
import { BatchRejection } from './batch-rejection';
import { systemClock, type Clock } from './clock';
import { LANES, type Lane } from './dynamic-batcher';
import { openTicket, settleItem, type Ticket as GenericTicket } from './ticket';

/** One decoder row as the model computes it: the sequence's image features, its state so far, the tokens to feed. */
export interface DecoderRow<Features, State> extends PendingRow<State> {
  features: Features;
}

/** The generative model as the batcher drives it (onnxruntime in production, a fake in tests). */
export interface StepModel<Features, State> {
  /** Features for each image (uint8 RGB at the model's size), in order: computed here, or prepared here and computed by the first step. */
  encodeImages(images: readonly Uint8Array[]): Promise<Features[]>;
  /** One decoding step for every row, in order: the next-token logits after each row's fed tokens, and its new state. */
  step(rows: readonly DecoderRow<Features, State>[]): Promise<RowOutput<State>[]>;
}

/** One sequence to generate. */
export interface GenerationJob {
  image: Uint8Array;
  /** `[BOS] prompt tokens [SEP]`: the model's tokens before the first generated one. */
  prompt: readonly number[];
  beamWidth: number;
  maxNewTokens: number;
}

export interface StepStats {
  /** Decoder rows in the step (beams count one each). */
  rows: number;
  /** Sequences in the step, per lane. */
  byLane: Record<Lane, number>;
  /** Sequences that joined at this step's boundary. */
  joined: number;
  durationMs: number;
  error?: unknown;
}

/** Observation points for metrics; all optional. */
export interface StepBatcherHooks {
  queueDepth?(depth: Record<Lane, number>): void;
  /** How long a sequence waited in its lane before joining a step. */
  queueDelay?(lane: Lane, ms: number): void;
  stepFinished?(stats: StepStats): void;
  /** Time from a sequence's arrival to its first generated token. */
  firstToken?(lane: Lane, ms: number): void;
  sequenceFinished?(lane: Lane, result: SearchResult): void;
  rejected?(lane: Lane, code: BatchRejection['code'], sequences: number): void;
}

export interface StepBatcherOptions<Features, State> {
  /** For messages. */
  name: string;
  model: StepModel<Features, State>;
  stopToken: number;
  /** Tokens never generated (see SearchOptions.suppressTokens). */
  suppressTokens?: readonly number[];
  guard?: RepetitionGuard;
  /** Decoder rows in flight at most. 1 turns step batching off. */
  maxRows: number;
  /** Sequences waiting per lane before requests are refused. */
  maxQueueItems: number;
  /** Rows kept for bulk sequences while some wait (default an eighth of maxRows, at least 1). */
  minBulkRows?: number;
  /**
   * Bulk sequences that may join one step while an interactive sequence decodes (default
   * minBulkRows): each joiner adds an image to encode and a prompt to prefill to the step the
   * shopper waits on. Bulk work still joins every step, so it is never starved.
   */
  maxBulkJoinsWhileInteractive?: number;
  clock?: Clock;
  hooks?: StepBatcherHooks;
}

export interface GenerateOptions {
  lane: Lane;
  /** Absolute time on the batcher's clock after which the request leaves the batch. */
  deadline?: number;
  signal?: AbortSignal;
}

type Ticket = GenericTicket<SearchResult>;

interface Sequence<Features, State> {
  ticket: Ticket;
  index: number;
  job: GenerationJob;
  enqueuedAt: number;
  search?: SequenceSearch<State>;
  features?: Features;
  tokensSeen: boolean;
}

export class StepBatcher<Features, State> {
  private readonly queues: Record<Lane, Sequence<Features, State>[]> = { interactive: [], bulk: [] };
  private active: Sequence<Features, State>[] = [];
  private readonly clock: Clock;
  private readonly minBulkRows: number;
  private readonly maxBulkJoinsWhileInteractive: number;
  private readonly guard: RepetitionGuard;
  private running = false;
  private scheduled = false;
  private accepting = true;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: StepBatcherOptions<Features, State>) {
    if (!(options.maxRows >= 1)) throw new RangeError('maxRows must be at least 1');
    if (!(options.maxQueueItems >= 1)) throw new RangeError('maxQueueItems must be at least 1');
    this.clock = options.clock ?? systemClock;
    this.guard = options.guard ?? new RepetitionGuard();
    this.minBulkRows = Math.min(options.maxRows, Math.max(1, options.minBulkRows ?? Math.floor(options.maxRows / 8)));
    this.maxBulkJoinsWhileInteractive = Math.max(1, options.maxBulkJoinsWhileInteractive ?? this.minBulkRows);
  }

  /** Sequences waiting per lane (not counting those in flight). */
  depth(): Record<Lane, number> {
    return { interactive: this.queues.interactive.length, bulk: this.queues.bulk.length };
  }

  /** Sequences being decoded now. */
  inFlight(): number {
    return this.active.length;
  }

  /** Queues the jobs and resolves with one result per job, in order. */
  generate(jobs: readonly GenerationJob[], options: GenerateOptions): Promise<SearchResult[]> {
    const { lane } = options;
    const refusal = this.refusalFor(lane, jobs.length);
    if (refusal) return this.refuse(lane, refusal, jobs.length);
    if (jobs.length === 0) return Promise.resolve([]);
    if (options.signal?.aborted) return this.refuse(lane, new BatchRejection('CANCELLED', 'request cancelled'), jobs.length);
    const [ticket, promise] = openTicket<SearchResult>(jobs.length, options, (cancelled, rejection) => this.fail(cancelled, rejection, 'CANCELLED'));
    const enqueuedAt = this.clock.now();
    jobs.forEach((job, index) => this.queues[lane].push({ ticket, index, job, enqueuedAt, tokensSeen: false }));
    this.reportDepth();
    this.wake();
    return promise;
  }

  /** Stops taking requests; resolves once every queued and in-flight sequence is done. */
  drain(): Promise<void> {
    this.accepting = false;
    if (!this.running && this.queued() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private refusalFor(lane: Lane, count: number): BatchRejection | undefined {
    if (!this.accepting) return new BatchRejection('UNAVAILABLE', `${this.options.name} is shutting down`);
    const waiting = this.queues[lane].length;
    if (waiting + count > this.options.maxQueueItems) {
      return new BatchRejection(
        'RESOURCE_EXHAUSTED',
        `${this.options.name} ${lane} queue is full (${waiting} of ${this.options.maxQueueItems} sequences waiting, ${count} more asked); retry later`,
      );
    }
    return undefined;
  }

  /** Starts the step loop after the I/O already waiting, so requests read in the same tick join the same first step. */
  private wake(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    this.clock.defer(() => {
      this.scheduled = false;
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        this.dropExpired();
        const joined = this.admit();
        if (joined.length > 0) await this.encode(joined);
        this.active = this.active.filter((sequence) => !sequence.ticket.settled);
        if (this.active.length === 0) {
          if (this.queued() === 0) break;
          continue;
        }
        await this.step(joined.length);
      }
    } catch (error) {
      // A bug here must not leave callers waiting forever: what was in flight fails, the queue goes on.
      for (const sequence of this.active) this.fail(sequence.ticket, error);
      this.active = [];
    } finally {
      this.running = false;
      if (this.queued() > 0) this.wake();
      this.notifyIdle();
    }
  }

  /** Moves queued sequences into the batch: interactive first, up to the rows not kept for waiting bulk work. */
  private admit(): Sequence<Features, State>[] {
    const joined: Sequence<Features, State>[] = [];
    let rows = this.active.reduce((sum, sequence) => sum + sequence.job.beamWidth, 0);
    const bulkRows = this.active.filter((sequence) => sequence.ticket.lane === 'bulk').reduce((sum, sequence) => sum + sequence.job.beamWidth, 0);
    const keptForBulk = this.queues.bulk.length > 0 ? Math.max(0, this.minBulkRows - bulkRows) : 0;
    const take = (lane: Lane, limit: number, maxJoins = Number.POSITIVE_INFINITY) => {
      const queue = this.queues[lane];
      for (let joins = 0; queue.length > 0 && joins < maxJoins; joins++) {
        const width = queue[0].job.beamWidth;
        const alone = this.active.length === 0 && joined.length === 0;
        if (!alone && rows + width > limit) break;
        const sequence = queue.shift()!;
        rows += width;
        joined.push(sequence);
        this.options.hooks?.queueDelay?.(lane, this.clock.now() - sequence.enqueuedAt);
      }
    };
    take('interactive', this.options.maxRows - keptForBulk);
    // A joining sequence costs its step an image to encode and a prompt to prefill: while a shopper's
    // sequence decodes, bulk sequences join a few per step, so the shopper's steps stay short.
    const shopperDecoding = this.active.some((sequence) => sequence.ticket.lane === 'interactive') || joined.length > 0;
    take('bulk', this.options.maxRows, shopperDecoding ? this.maxBulkJoinsWhileInteractive : undefined);
    if (joined.length > 0) this.reportDepth();
    return joined;
  }

  /** Encodes the joining sequences' images in one call and starts their searches. */
  private async encode(joined: Sequence<Features, State>[]): Promise<void> {
    let features: Features[];
    try {
      features = await this.options.model.encodeImages(joined.map((sequence) => sequence.job.image));
      if (features.length !== joined.length) throw new Error(`${this.options.name} encoder returned ${features.length} outputs for ${joined.length} images`);
    } catch (error) {
      for (const sequence of joined) this.fail(sequence.ticket, error);
      return;
    }
    joined.forEach((sequence, i) => {
      const { job } = sequence;
      sequence.features = features[i];
      sequence.search = new SequenceSearch<State>(job.prompt, {
        beamWidth: job.beamWidth,
        maxNewTokens: job.maxNewTokens,
        stopToken: this.options.stopToken,
        suppressTokens: this.options.suppressTokens,
        guard: this.guard,
      });
      this.active.push(sequence);
    });
  }

  /** One decoder call for every row in flight; finished sequences leave. */
  private async step(joined: number): Promise<void> {
    const batch = this.active.slice();
    const rows: DecoderRow<Features, State>[] = [];
    const byLane: Record<Lane, number> = { interactive: 0, bulk: 0 };
    for (const sequence of batch) {
      byLane[sequence.ticket.lane]++;
      for (const row of sequence.search!.pendingRows()) rows.push({ ...row, features: sequence.features! });
    }
    const started = this.clock.now();
    let outputs: RowOutput<State>[];
    try {
      outputs = await this.options.model.step(rows);
      if (outputs.length !== rows.length) throw new Error(`${this.options.name} decoder returned ${outputs.length} rows for ${rows.length}`);
    } catch (error) {
      this.options.hooks?.stepFinished?.({ rows: rows.length, byLane, joined, durationMs: this.clock.now() - started, error });
      for (const sequence of batch) this.fail(sequence.ticket, error);
      return;
    }
    this.options.hooks?.stepFinished?.({ rows: rows.length, byLane, joined, durationMs: this.clock.now() - started });
    const now = this.clock.now();
    let offset = 0;
    for (const sequence of batch) {
      const search = sequence.search!;
      const width = search.width;
      const own = outputs.slice(offset, offset + width);
      offset += width;
      // A request that failed meanwhile (deadline, cancel) leaves without its result.
      if (sequence.ticket.settled) continue;
      try {
        search.advance(own);
      } catch (error) {
        // A malformed model output (logits of the wrong size, say) fails its request, never the loop.
        this.fail(sequence.ticket, error);
        continue;
      }
      if (!sequence.tokensSeen) {
        sequence.tokensSeen = true;
        this.options.hooks?.firstToken?.(sequence.ticket.lane, now - sequence.enqueuedAt);
      }
      if (search.done) this.complete(sequence);
    }
    this.active = this.active.filter((sequence) => !sequence.search!.done && !sequence.ticket.settled);
  }

  private complete(sequence: Sequence<Features, State>): void {
    const { ticket } = sequence;
    const result = sequence.search!.result();
    this.options.hooks?.sequenceFinished?.(ticket.lane, result);
    settleItem(ticket, sequence.index, result);
  }

  /** Requests past their deadline leave: queued sequences are removed, those in flight at the next step. */
  private dropExpired(): void {
    const now = this.clock.now();
    const expired = new Set<Ticket>();
    for (const lane of LANES) for (const sequence of this.queues[lane]) if (sequence.ticket.deadline <= now) expired.add(sequence.ticket);
    for (const sequence of this.active) if (sequence.ticket.deadline <= now) expired.add(sequence.ticket);
    for (const ticket of expired) {
      const where = this.active.some((sequence) => sequence.ticket === ticket) ? 'while decoding' : `in the ${ticket.lane} queue`;
      this.fail(ticket, new BatchRejection('DEADLINE_EXCEEDED', `deadline passed ${where}`), 'DEADLINE_EXCEEDED');
    }
  }

  /** Settles a request with an error; its queued sequences are removed now, those in flight at the next boundary. */
  private fail(ticket: Ticket, error: unknown, code?: BatchRejection['code']): void {
    if (ticket.settled) return;
    ticket.settled = true;
    ticket.detach();
    const queue = this.queues[ticket.lane];
    const kept = queue.filter((sequence) => sequence.ticket !== ticket);
    const removed = queue.length - kept.length + this.active.filter((sequence) => sequence.ticket === ticket).length;
    if (kept.length !== queue.length) {
      this.queues[ticket.lane] = kept;
      this.reportDepth();
    }
    if (code) this.options.hooks?.rejected?.(ticket.lane, code, removed);
    ticket.reject(error);
  }

  private refuse(lane: Lane, rejection: BatchRejection, sequences: number): Promise<never> {
    this.options.hooks?.rejected?.(lane, rejection.code, sequences);
    return Promise.reject(rejection);
  }

  private queued(): number {
    return this.queues.interactive.length + this.queues.bulk.length;
  }

  private reportDepth(): void {
    this.options.hooks?.queueDepth?.(this.depth());
  }

  private notifyIdle(): void {
    if (this.running || this.queued() > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
