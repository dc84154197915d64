/**
 * real: the step batcher and the decoding search. fake: time (a clock the test moves by hand) and
 * the model: each image's first byte names a script of tokens it "generates", and every decoder
 * call waits until the test lets it finish, so the test sees each step's rows and can submit work
 * between steps.
 */
import type { RowOutput } from '@vsearch/decoding';
import { BatchRejection } from './batch-rejection';
import type { Clock } from './clock';
import { StepBatcher, type DecoderRow, type GenerationJob, type StepBatcherOptions, type StepStats } from './step-batcher';

const EOS = 3;
const PROMPT = [2, 9, 4];
const VOCABULARY = 40;
/** What each image generates, by its first byte; 0 loops on token 20 until stopped by length. */
const SCRIPTS: Record<number, number[]> = { 1: [11, 12, 13, 14, 15], 2: [21, 22], 3: [31] };

type State = number[];

interface Call {
  rows: DecoderRow<number, State>[];
  release(): void;
  fail(error: Error): void;
}

class FakeModel {
  readonly calls: Call[] = [];
  readonly encoded: number[][] = [];
  private waiting: ((call: Call) => void)[] = [];

  async encodeImages(images: readonly Uint8Array[]): Promise<number[]> {
    this.encoded.push(images.map((image) => image[0]));
    return images.map((image) => image[0]);
  }

  step(rows: readonly DecoderRow<number, State>[]): Promise<RowOutput<State>[]> {
    return new Promise((resolve, reject) => {
      const call: Call = { rows: [...rows], release: () => resolve(rows.map(nextToken)), fail: reject };
      this.calls.push(call);
      for (const waiter of this.waiting.splice(0)) waiter(call);
    });
  }

  /** The next decoder call (already made, or the one to come). */
  async nextCall(): Promise<Call> {
    const index = this.calls.length;
    if (this.seen < index) return this.calls[this.seen++];
    const call = await new Promise<Call>((resolve) => this.waiting.push(resolve));
    this.seen++;
    return call;
  }

  private seen = 0;
}

function nextToken({ features, state, feed }: DecoderRow<number, State>): RowOutput<State> {
  const history = [...(state ?? []), ...feed];
  const generated = history.length - PROMPT.length;
  const script = SCRIPTS[features];
  const token = script ? (script[generated] ?? EOS) : 20;
  const logits = new Float32Array(VOCABULARY).fill(-10);
  logits[token] = 10;
  return { logits, state: history };
}

const job = (script: number, overrides: Partial<GenerationJob> = {}): GenerationJob => ({
  image: Uint8Array.of(script),
  prompt: PROMPT,
  beamWidth: 1,
  maxNewTokens: 10,
  ...overrides,
});

function harness(options: Partial<StepBatcherOptions<number, State>> = {}) {
  let now = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: () => {
      throw new Error('the step batcher sets no timers');
    },
    clearTimeout: () => undefined,
    defer: (callback) => void setImmediate(callback),
  };
  const model = new FakeModel();
  const steps: StepStats[] = [];
  const rejected: { lane: string; code: string }[] = [];
  const batcher = new StepBatcher<number, State>({
    name: 'describer',
    model,
    stopToken: EOS,
    maxRows: 8,
    maxQueueItems: 16,
    clock,
    hooks: { stepFinished: (stats) => steps.push(stats), rejected: (lane, code) => rejected.push({ lane, code }) },
    ...options,
  });
  return { batcher, model, steps, rejected, advanceTime: (ms: number) => (now += ms) };
}

/** Lets every decoder call finish until `promise` settles. */
async function runUntil<T>(model: FakeModel, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    const call = await Promise.race([
      model.nextCall(),
      promise.then(
        () => undefined,
        () => undefined,
      ),
    ]);
    call?.release();
  }
  return promise;
}

describe(StepBatcher.name, () => {
  it('generates until the stop token or max new tokens', async () => {
    const { batcher, model } = harness();
    const results = await runUntil(model, batcher.generate([job(2), job(0, { maxNewTokens: 2 })], { lane: 'interactive' }));
    expect(results).toEqual([
      expect.objectContaining({ tokenIds: [21, 22], finishReason: 'stop' }),
      // The looping image reaches its length limit before the repetition guard's run limit.
      expect.objectContaining({ tokenIds: [20, 20], finishReason: 'length' }),
    ]);
  });

  it('stops a looping sequence with finish reason repetition', async () => {
    const { batcher, model } = harness();
    const [result] = await runUntil(model, batcher.generate([job(0)], { lane: 'interactive' }));
    expect(result).toMatchObject({ tokenIds: [20, 20], finishReason: 'repetition' });
  });

  it('shares one decoder call per step among sequences in flight; a new request joins at a step boundary with its prompt and leaves when done', async () => {
    const { batcher, model, steps } = harness();
    const long = batcher.generate([job(1)], { lane: 'interactive' });
    const first = await model.nextCall();
    expect(first.rows.map((row) => row.feed)).toEqual([PROMPT]);

    // Arrives while step 1 computes: joins step 2 with its prompt beside the long one's next token.
    let shortDone = false;
    const short = batcher.generate([job(3)], { lane: 'interactive' }).then((results) => {
      shortDone = true;
      return results;
    });
    first.release();
    const second = await model.nextCall();
    expect(second.rows.map((row) => [row.features, row.feed])).toEqual([
      [1, [11]],
      [3, PROMPT],
    ]);
    expect(model.encoded).toEqual([[1], [3]]);
    second.release();

    // The short one generated 31 in step 2 and stops in step 3; the long one goes on alone.
    const third = await model.nextCall();
    expect(third.rows.map((row) => row.features)).toEqual([1, 3]);
    third.release();
    await expect(short).resolves.toEqual([expect.objectContaining({ tokenIds: [31], finishReason: 'stop' })]);
    expect(shortDone).toBe(true);
    const fourth = await model.nextCall();
    expect(fourth.rows.map((row) => row.features)).toEqual([1]);
    fourth.release();

    await expect(runUntil(model, long)).resolves.toEqual([expect.objectContaining({ tokenIds: [11, 12, 13, 14, 15], finishReason: 'stop' })]);
    expect(steps.map((step) => step.rows)).toEqual([1, 2, 2, 1, 1, 1]);
    expect(steps.map((step) => step.joined)).toEqual([1, 1, 0, 0, 0, 0]);
  });

  it('lets interactive sequences join first but keeps rows for waiting bulk work', async () => {
    const { batcher, model } = harness({ maxRows: 4, minBulkRows: 1 });
    const bulk = batcher.generate([job(2), job(2)], { lane: 'bulk' });
    const interactive = batcher.generate([job(3), job(3), job(3), job(3), job(3)], { lane: 'interactive' });
    const first = await model.nextCall();
    // Three interactive rows and the one kept for bulk; the rest wait for rows to free up.
    expect(first.rows.map((row) => row.features)).toEqual([3, 3, 3, 2]);
    first.release();
    const second = await model.nextCall();
    expect(second.rows.map((row) => row.features)).toEqual([3, 3, 3, 2]);
    second.release();
    // Three interactive ones stopped: the two waiting interactive sequences join before the second bulk one.
    const third = await model.nextCall();
    expect(third.rows.map((row) => [row.features, row.feed])).toEqual([
      [2, [22]],
      [3, PROMPT],
      [3, PROMPT],
      [2, PROMPT],
    ]);
    third.release();
    await runUntil(model, Promise.all([bulk, interactive]));
  });

  it('lets bulk sequences join a few per step while a shopper’s sequence decodes, and freely once it is done', async () => {
    const { batcher, model, steps } = harness({ maxRows: 8, maxBulkJoinsWhileInteractive: 1 });
    const bulk = batcher.generate([job(3), job(3), job(3), job(3), job(3), job(3)], { lane: 'bulk' });
    const shopper = batcher.generate([job(2)], { lane: 'interactive' });
    await runUntil(model, Promise.all([bulk, shopper]));
    // Step 1: the shopper and one bulk sequence; step 2: one more; step 3: the shopper's last; then the other four at once.
    expect(steps.map((step) => step.joined)).toEqual([2, 1, 1, 3, 0]);
    expect(steps.map((step) => step.byLane.interactive)).toEqual([1, 1, 1, 0, 0]);
  });

  it('takes a beam search up to beamWidth rows per step', async () => {
    const { batcher, model } = harness();
    const beam = batcher.generate([job(1, { beamWidth: 3, maxNewTokens: 3 })], { lane: 'interactive' });
    const first = await model.nextCall();
    expect(first.rows).toHaveLength(1);
    first.release();
    const second = await model.nextCall();
    expect(second.rows).toHaveLength(3);
    second.release();
    await expect(runUntil(model, beam)).resolves.toEqual([expect.objectContaining({ tokenIds: [11, 12, 13], finishReason: 'length' })]);
  });

  it('decodes one sequence at a time with maxRows 1 (step batching off)', async () => {
    const { batcher, model, steps } = harness({ maxRows: 1 });
    await runUntil(model, Promise.all([batcher.generate([job(2)], { lane: 'interactive' }), batcher.generate([job(3)], { lane: 'interactive' })]));
    expect(steps.map((step) => step.rows)).toEqual([1, 1, 1, 1, 1]);
  });

  it('takes a request past its deadline out of the batch at the next step boundary with DEADLINE_EXCEEDED', async () => {
    const { batcher, model, advanceTime, rejected } = harness();
    const late = batcher.generate([job(1)], { lane: 'interactive', deadline: 100 });
    const onTime = batcher.generate([job(1)], { lane: 'interactive' });
    const first = await model.nextCall();
    expect(first.rows).toHaveLength(2);
    advanceTime(150);
    first.release();
    await expect(late).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    const second = await model.nextCall();
    expect(second.rows).toHaveLength(1);
    second.release();
    await runUntil(model, onTime);
    expect(rejected).toEqual([{ lane: 'interactive', code: 'DEADLINE_EXCEEDED' }]);
  });

  it('takes a cancelled request out of the batch at the next step boundary with CANCELLED', async () => {
    const { batcher, model, rejected } = harness();
    const controller = new AbortController();
    const cancelled = batcher.generate([job(1), job(1)], { lane: 'bulk', signal: controller.signal });
    const kept = batcher.generate([job(2)], { lane: 'bulk' });
    const first = await model.nextCall();
    expect(first.rows).toHaveLength(3);
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    first.release();
    const second = await model.nextCall();
    expect(second.rows.map((row) => row.features)).toEqual([2]);
    second.release();
    await expect(runUntil(model, kept)).resolves.toEqual([expect.objectContaining({ tokenIds: [21, 22] })]);
    expect(rejected).toEqual([{ lane: 'bulk', code: 'CANCELLED' }]);
  });

  it('refuses a request that does not fit its lane queue whole with RESOURCE_EXHAUSTED', async () => {
    const { batcher, rejected } = harness({ maxQueueItems: 2 });
    await expect(batcher.generate([job(1), job(1), job(1)], { lane: 'bulk' })).rejects.toEqual(expect.any(BatchRejection));
    await expect(batcher.generate([job(1), job(1), job(1)], { lane: 'bulk' })).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(rejected).toContainEqual({ lane: 'bulk', code: 'RESOURCE_EXHAUSTED' });
  });

  it('fails the requests of a step the model threw on and carries on with the queue', async () => {
    const { batcher, model } = harness({ maxRows: 1 });
    const doomed = batcher.generate([job(2)], { lane: 'interactive' });
    const next = batcher.generate([job(3)], { lane: 'interactive' });
    (await model.nextCall()).fail(new Error('model exploded'));
    await expect(doomed).rejects.toThrow('model exploded');
    await expect(runUntil(model, next)).resolves.toEqual([expect.objectContaining({ tokenIds: [31] })]);
  });

  it('finishes queued work on drain and refuses new work with UNAVAILABLE', async () => {
    const { batcher, model } = harness();
    const pending = batcher.generate([job(2)], { lane: 'bulk' });
    const drained = batcher.drain();
    await expect(batcher.generate([job(2)], { lane: 'bulk' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await runUntil(model, pending);
    await expect(drained).resolves.toBeUndefined();
  });
});
