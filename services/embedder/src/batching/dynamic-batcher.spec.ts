/**
 * real: the batching logic. fake: time (jest's modern fake timers drive
 * setTimeout, setImmediate and Date.now), and the model (a function that
 * takes `batchMs` of fake time and multiplies each input by ten).
 */
import { BatchRejection } from './batch-rejection';
import type { Clock } from './clock';
import { DynamicBatcher, type BatchStats, type DynamicBatcherOptions, type Lane } from './dynamic-batcher';
import { ShopperPresence } from './shopper-presence';

const fakeTimeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  defer: (callback) => void setImmediate(callback),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Harness {
  batcher: DynamicBatcher<number, number>;
  batches: number[][];
  /** Per batch, whether runBatch was told it holds a shopper's item. */
  interactive: boolean[];
  stats: BatchStats[];
  delays: { lane: Lane; ms: number }[];
  rejected: { lane: Lane; code: string; items: number }[];
  depths: Record<Lane, number>[];
}

function harness(
  overrides: Partial<DynamicBatcherOptions<number, number>> & {
    batchMs?: number;
    /** Fake time a batch takes, when it depends on the batch (default batchMs). */
    batchMsFor?: (inputs: number[]) => number;
    failWhen?: (inputs: number[]) => boolean;
  } = {},
): Harness {
  const { batchMs = 10, batchMsFor = () => batchMs, failWhen, ...options } = overrides;
  const h = { batches: [], interactive: [], stats: [], delays: [], rejected: [], depths: [] } as unknown as Harness;
  h.batcher = new DynamicBatcher<number, number>({
    name: 'test',
    maxBatch: 4,
    maxWaitMs: 5,
    maxQueueItems: 100,
    clock: fakeTimeClock,
    runBatch: async (inputs, batch) => {
      h.batches.push([...inputs]);
      h.interactive.push(batch.interactive);
      await sleep(batchMsFor(inputs));
      if (failWhen?.(inputs)) throw new Error('model exploded');
      return inputs.map((input) => input * 10);
    },
    hooks: {
      batchFinished: (stats) => h.stats.push(stats),
      queueDelay: (lane, ms) => h.delays.push({ lane, ms }),
      rejected: (lane, code, items) => h.rejected.push({ lane, code, items }),
      queueDepth: (depth) => h.depths.push(depth),
    },
    ...options,
  });
  return h;
}

/** Records how a promise settled without letting a rejection go unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

describe(DynamicBatcher.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('starts a lone request at once instead of holding it for maxWaitMs, sharing the batch with requests of the same moment', async () => {
    const h = harness({ maxWaitMs: 50 });
    const a = track(h.batcher.submit([1], { lane: 'interactive' }));
    const b = track(h.batcher.submit([2, 3], { lane: 'interactive' }));
    // After the I/O callbacks of this moment (setImmediate, which the fake clock runs one millisecond later).
    await jest.advanceTimersByTimeAsync(1);
    expect(h.batches).toEqual([[1, 2, 3]]);
    await jest.advanceTimersByTimeAsync(10);
    expect(a.value).toEqual([10]);
    expect(b.value).toEqual([20, 30]);
  });

  it("tells runBatch whether a shopper's item is in the batch (only such batches may take the latency worker)", async () => {
    const h = harness();
    const bulk = track(h.batcher.submit([1], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(20);
    const query = track(h.batcher.submit([2], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(20);
    expect(bulk.value).toEqual([10]);
    expect(query.value).toEqual([20]);
    expect(h.batches).toEqual([[1], [2]]);
    expect(h.interactive).toEqual([false, true]);
  });

  it('holds a partial batch of several requests up to maxWaitMs while requests keep arriving closer together than that', async () => {
    const h = harness({ maxBatch: 100, maxWaitMs: 5, batchMs: 3 });
    const requests = [];
    for (let i = 0; i < 12; i++) {
      requests.push(track(h.batcher.submit([i], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
    }
    await jest.advanceTimersByTimeAsync(30);
    expect(requests.map((request) => request.value)).toEqual(Array.from({ length: 12 }, (_, i) => [i * 10]));
    // r0 ran alone (t=1..4); r1..r3 waited behind it, and the idle model then waited for r4, r5 too.
    expect(h.batches[0]).toEqual([0]);
    expect(h.batches[1].slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(h.batches.flat()).toEqual(Array.from({ length: 12 }, (_, i) => i));
    for (const delay of h.delays) expect(delay.ms).toBeLessThanOrEqual(5 + 1);
  });

  it('starts a lone request at once even amid dense traffic when it is the only one waiting', async () => {
    const h = harness({ maxBatch: 100, maxWaitMs: 50, batchMs: 1 });
    for (let i = 0; i < 5; i++) {
      track(h.batcher.submit([i], { lane: 'interactive' }));
      await jest.advanceTimersByTimeAsync(2);
    }
    expect(h.batches).toEqual([[0], [1], [2], [3], [4]]);
  });

  it('dispatches a full batch at once instead of waiting', async () => {
    const h = harness();
    const request = track(h.batcher.submit([1, 2, 3, 4], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(0);
    expect(h.batches).toEqual([[1, 2, 3, 4]]);
    await jest.advanceTimersByTimeAsync(10);
    expect(request.value).toEqual([10, 20, 30, 40]);
  });

  it('splits a large request over several batches and returns its results in order', async () => {
    const h = harness();
    const request = track(h.batcher.submit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(100);
    expect(h.batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
    expect(request.value).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('does not wait again for items that already waited maxWaitMs behind a busy model', async () => {
    const h = harness({ batchMs: 20 });
    track(h.batcher.submit([1, 2, 3, 4], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(1);
    const late = track(h.batcher.submit([5], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(20);
    expect(h.batches).toEqual([[1, 2, 3, 4], [5]]);
    await jest.advanceTimersByTimeAsync(20);
    expect(late.value).toEqual([50]);
  });

  it('serves interactive items before bulk ones, keeping the bulk floor', async () => {
    const h = harness({ maxBatch: 8, minBulkSlots: 2, batchMs: 10 });
    track(h.batcher.submit([0, 0, 0, 0, 0, 0, 0, 0], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(1);
    track(h.batcher.submit([100, 101, 102, 103, 104, 105, 106, 107, 108, 109], { lane: 'bulk' }));
    track(h.batcher.submit([1, 2, 3, 4, 5, 6, 7, 8, 9], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(9);
    expect(h.batches[1]).toEqual([1, 2, 3, 4, 5, 6, 100, 101]);
    await jest.advanceTimersByTimeAsync(10);
    expect(h.batches[2]).toEqual([7, 8, 9, 102, 103, 104, 105, 106]);
  });

  it('never starves the bulk lane under a continuous stream of interactive work', async () => {
    const h = harness({ maxBatch: 4, minBulkSlots: 1, batchMs: 10, maxQueueItems: 1000 });
    const bulk = track(h.batcher.submit([900, 901, 902], { lane: 'bulk' }));
    for (let tick = 0; tick < 5; tick++) {
      track(h.batcher.submit([1, 2, 3, 4, 5, 6, 7, 8], { lane: 'interactive' }));
      await jest.advanceTimersByTimeAsync(10);
    }
    expect(bulk.value).toEqual([9000, 9010, 9020]);
    expect(h.stats.slice(0, 3).map((stats) => stats.byLane)).toEqual([
      { interactive: 3, bulk: 1 },
      { interactive: 3, bulk: 1 },
      { interactive: 3, bulk: 1 },
    ]);
  });

  it('drops items whose deadline passed before inference, with DEADLINE_EXCEEDED', async () => {
    const h = harness({ batchMs: 50 });
    track(h.batcher.submit([1, 2, 3, 4], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(1);
    const expiring = track(h.batcher.submit([7, 8], { lane: 'interactive', deadline: Date.now() + 20 }));
    const patient = track(h.batcher.submit([9], { lane: 'interactive', deadline: Date.now() + 1000 }));
    await jest.advanceTimersByTimeAsync(200);
    expect(expiring.error).toBeInstanceOf(BatchRejection);
    expect((expiring.error as BatchRejection).code).toBe('DEADLINE_EXCEEDED');
    expect(patient.value).toEqual([90]);
    expect(h.batches).toEqual([[1, 2, 3, 4], [9]]);
    expect(h.rejected).toEqual([{ lane: 'interactive', code: 'DEADLINE_EXCEEDED', items: 2 }]);
  });

  it('gives every waiter of a failed batch the error and keeps serving', async () => {
    const h = harness({ failWhen: (inputs) => inputs.includes(13) });
    const first = track(h.batcher.submit([1], { lane: 'interactive' }));
    const poisoned = track(h.batcher.submit([13], { lane: 'bulk' }));
    const spanning = track(h.batcher.submit([2, 3, 4, 5, 6], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(100);
    expect((first.error as Error).message).toBe('model exploded');
    expect((poisoned.error as Error).message).toBe('model exploded');
    expect((spanning.error as Error).message).toBe('model exploded');
    expect(h.batches).toEqual([[1, 13, 2, 3]]);
    const after = track(h.batcher.submit([7], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(100);
    expect(after.value).toEqual([70]);
    expect(h.stats[0].error).toBeInstanceOf(Error);
    expect(h.batcher.depth()).toEqual({ interactive: 0, bulk: 0 });
  });

  it('refuses a request that does not fit its lane with RESOURCE_EXHAUSTED, per lane', async () => {
    const h = harness({ maxQueueItems: 6, batchMs: 50 });
    track(h.batcher.submit([1, 2, 3, 4], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(0);
    track(h.batcher.submit([1, 2, 3, 4, 5], { lane: 'bulk' }));
    const overflow = track(h.batcher.submit([6, 7], { lane: 'bulk' }));
    const interactive = track(h.batcher.submit([8, 9], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(0);
    expect((overflow.error as BatchRejection).code).toBe('RESOURCE_EXHAUSTED');
    expect((overflow.error as Error).message).toMatch(/bulk queue is full \(5 of 6/);
    expect(h.rejected).toEqual([{ lane: 'bulk', code: 'RESOURCE_EXHAUSTED', items: 2 }]);
    // Asked before preparing a call (decoding its images): the same verdict, counted the same way.
    expect(h.batcher.refuseIfFull('bulk', 2)?.code).toBe('RESOURCE_EXHAUSTED');
    expect(h.batcher.refuseIfFull('bulk', 1)).toBeUndefined();
    expect(h.batcher.refuseIfFull('interactive', 2)).toBeUndefined();
    expect(h.rejected).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(200);
    expect(interactive.value).toEqual([80, 90]);
    const retry = track(h.batcher.submit([6, 7], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(100);
    expect(retry.value).toEqual([60, 70]);
  });

  it('removes the queued items of a cancelled request', async () => {
    const h = harness({ batchMs: 50 });
    track(h.batcher.submit([1, 2, 3, 4], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(1);
    const controller = new AbortController();
    const cancelled = track(h.batcher.submit([5, 6], { lane: 'bulk', signal: controller.signal }));
    expect(h.batcher.depth().bulk).toBe(2);
    controller.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect((cancelled.error as BatchRejection).code).toBe('CANCELLED');
    expect(h.batcher.depth().bulk).toBe(0);
    await jest.advanceTimersByTimeAsync(200);
    expect(h.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('drains: computes what is queued without waiting for more, then refuses new work', async () => {
    const h = harness({ maxWaitMs: 1000, batchMs: 10 });
    const queued = track(h.batcher.submit([1, 2, 3, 4, 5], { lane: 'bulk' }));
    const drained = track(h.batcher.drain());
    await jest.advanceTimersByTimeAsync(5);
    expect(drained.done).toBe(false);
    await jest.advanceTimersByTimeAsync(20);
    expect(queued.value).toEqual([10, 20, 30, 40, 50]);
    expect(drained.done).toBe(true);
    const late = track(h.batcher.submit([1], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(0);
    expect((late.error as BatchRejection).code).toBe('UNAVAILABLE');
  });

  it('takes shorter batches while interactive requests keep arriving, and full ones again after the window', async () => {
    const h = harness({ maxBatch: 8, maxBatchWhileInteractive: 2, interactiveWindowMs: 100, batchMs: 10, minBulkSlots: 1 });
    track(h.batcher.submit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(5);
    expect(h.batches).toEqual([[1, 2, 3, 4, 5, 6, 7, 8]]);
    const query = track(h.batcher.submit([100], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(10);
    // The query waited for the batch in flight only; its batch and the next are capped.
    expect(h.batches[1]).toEqual([100, 9]);
    await jest.advanceTimersByTimeAsync(10);
    expect(query.value).toEqual([1000]);
    expect(h.batches[2]).toEqual([10, 11]);
    // Interactive items themselves are never held back by the cap.
    const burst = track(h.batcher.submit([101, 102, 103, 104, 105, 106, 107], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(20);
    expect(h.batches.find((batch) => batch.includes(101))).toEqual([101, 102, 103, 104, 105, 106, 107, expect.any(Number)]);
    expect(burst.done).toBe(true);
    await jest.advanceTimersByTimeAsync(200);
    track(h.batcher.submit([17, 18, 19, 20, 21, 22, 23, 24], { lane: 'bulk' }));
    await jest.advanceTimersByTimeAsync(200);
    expect(h.batches.at(-1)).toEqual([17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('reports queue depth and batch sizes to its hooks', async () => {
    const h = harness();
    track(h.batcher.submit([1, 2, 3, 4, 5, 6], { lane: 'bulk' }));
    track(h.batcher.submit([7], { lane: 'interactive' }));
    await jest.advanceTimersByTimeAsync(100);
    expect(h.stats.map((stats) => stats.size)).toEqual([4, 3]);
    expect(h.depths[0]).toEqual({ interactive: 0, bulk: 6 });
    expect(h.depths.at(-1)).toEqual({ interactive: 0, bulk: 0 });
  });

  describe('with several inference workers', () => {
    it('computes as many batches at once as the tower has workers, each formed when a worker is free', async () => {
      const h = harness({ maxBatch: 2, workers: () => 2, batchMs: 10 });
      const results = [1, 2, 3, 4, 5, 6].map((input) => track(h.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
      expect(h.batches).toEqual([
        [1, 2],
        [3, 4],
      ]);
      await jest.advanceTimersByTimeAsync(10);
      expect(h.batches).toHaveLength(3);
      expect(h.batches[2]).toEqual([5, 6]);
      await jest.advanceTimersByTimeAsync(10);
      expect(results.map((result) => result.value)).toEqual([[10], [20], [30], [40], [50], [60]]);
    });

    it('asks for the worker count at every dispatch, so a tower that lost a worker runs fewer batches at once', async () => {
      let workers = 2;
      const h = harness({ maxBatch: 1, workers: () => workers, batchMs: 10 });
      workers = 1;
      [1, 2].forEach((input) => track(h.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
      expect(h.batches).toEqual([[1]]);
    });

    it("keeps a request's results in order when its later batch, on another worker, finishes first", async () => {
      const h = harness({ maxBatch: 2, workers: () => 2, batchMsFor: (inputs) => (inputs[0] === 1 ? 30 : 5) });
      const request = track(h.batcher.submit([1, 2, 3, 4], { lane: 'bulk' }));
      await jest.advanceTimersByTimeAsync(1);
      expect(h.batches).toEqual([
        [1, 2],
        [3, 4],
      ]);
      await jest.advanceTimersByTimeAsync(10);
      expect(request.done).toBe(false);
      await jest.advanceTimersByTimeAsync(30);
      expect(request.value).toEqual([10, 20, 30, 40]);
    });

    it('does not hold a batch behind a slow one: the other worker goes on with the queue', async () => {
      const h = harness({ maxBatch: 1, workers: () => 2, batchMsFor: (inputs) => (inputs[0] === 1 ? 100 : 5) });
      const slow = track(h.batcher.submit([1], { lane: 'bulk' }));
      const quick = [2, 3, 4].map((input) => track(h.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(30);
      expect(quick.map((result) => result.value)).toEqual([[20], [30], [40]]);
      expect(slow.done).toBe(false);
    });

    it('keeps the last free worker for interactive items while bulk computes and shoppers are about', async () => {
      const h = harness({ maxBatch: 4, workers: () => 2, batchMs: 50 });
      // A shopper was here: the interactive window is open.
      track(h.batcher.submit([0], { lane: 'interactive' }));
      await jest.advanceTimersByTimeAsync(60);
      h.batches.length = 0;
      [1, 2, 3, 4, 5, 6, 7, 8].forEach((input) => track(h.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
      // One bulk batch only; the second worker waits for shoppers.
      expect(h.batches).toHaveLength(1);
      const query = track(h.batcher.submit([100], { lane: 'interactive' }));
      await jest.advanceTimersByTimeAsync(1);
      // The query computes at once, alone: no bulk item rides along, though bulk is waiting.
      expect(h.batches[1]).toEqual([100]);
      await jest.advanceTimersByTimeAsync(50);
      expect(query.value).toEqual([1000]);
    });

    it('keeps a worker free of bulk work when shoppers are about on the other tower (shared presence)', async () => {
      const shoppers = new ShopperPresence(1000);
      const images = harness({ maxBatch: 4, workers: () => 2, batchMs: 50, shoppers });
      const texts = harness({ maxBatch: 4, workers: () => 2, batchMs: 1, shoppers });
      track(texts.batcher.submit([0], { lane: 'interactive' }));
      [1, 2, 3, 4, 5, 6, 7, 8].forEach((input) => track(images.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
      expect(images.batches).toEqual([[1, 2, 3, 4]]);
      await jest.advanceTimersByTimeAsync(1100);
      // The shoppers left: bulk images take both workers again.
      const before = images.batches.length;
      [9, 10, 11, 12, 13, 14, 15, 16].forEach((input) => track(images.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
      expect(images.batches.slice(before)).toEqual([
        [9, 10, 11, 12],
        [13, 14, 15, 16],
      ]);
    });

    it('lets bulk work use every worker when no interactive request came within the window, in a short batch on the last', async () => {
      // A full batch takes 200 ms, a short one 50.
      const h = harness({
        maxBatch: 4,
        maxBatchWhileInteractive: 2,
        workers: () => 2,
        batchMsFor: (inputs) => (inputs.length >= 4 ? 200 : 50),
        interactiveWindowMs: 1000,
      });
      track(h.batcher.submit([0], { lane: 'interactive' }));
      await jest.advanceTimersByTimeAsync(1100);
      h.batches.length = 0;
      [1, 2, 3, 4, 5, 6, 7, 8].forEach((input) => track(h.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
      expect(h.batches).toEqual([
        [1, 2, 3, 4],
        [5, 6],
      ]);
      // A query arriving now waits for the short batch, not a full one, and then computes alone.
      const query = track(h.batcher.submit([100], { lane: 'interactive' }));
      await jest.advanceTimersByTimeAsync(50);
      expect(h.batches[2]).toEqual([100]);
      await jest.advanceTimersByTimeAsync(60);
      expect(query.value).toEqual([1000]);
    });

    it('with a single worker, mixes lanes as before: bulk keeps its reserved slots', async () => {
      const h = harness({ maxBatch: 4, minBulkSlots: 1, workers: () => 1, batchMs: 50 });
      [1, 2, 3, 4, 5].forEach((input) => track(h.batcher.submit([input], { lane: 'bulk' })));
      await jest.advanceTimersByTimeAsync(1);
      track(h.batcher.submit([100, 101, 102, 103], { lane: 'interactive' }));
      await jest.advanceTimersByTimeAsync(50);
      expect(h.batches[1]).toEqual([100, 101, 102, 5]);
    });

    it('drains every queued item across workers before it resolves', async () => {
      const h = harness({ maxBatch: 2, workers: () => 3, batchMs: 10 });
      const results = [1, 2, 3, 4, 5, 6, 7].map((input) => track(h.batcher.submit([input], { lane: 'bulk' })));
      const drained = track(h.batcher.drain());
      await jest.advanceTimersByTimeAsync(1);
      expect(h.batches).toHaveLength(3);
      await jest.advanceTimersByTimeAsync(20);
      expect(drained.done).toBe(true);
      expect(results.map((result) => result.value)).toEqual([[10], [20], [30], [40], [50], [60], [70]]);
    });
  });
});
