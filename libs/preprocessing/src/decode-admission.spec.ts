import { DecodeAdmissionGate, DecodeRefusedError, defaultDecodeConcurrency } from './decode-admission';

/** A decode the test finishes by hand, so the gate's state is known at every step (no timing). */
function manualWork<T>(value: T) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  let started = false;
  const run = () =>
    new Promise<T>((resolve, reject) => {
      started = true;
      finish = () => resolve(value);
      fail = reject;
    });
  return {
    run,
    finish: () => finish(),
    fail: (error: Error) => fail(error),
    get started() {
      return started;
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe(DecodeAdmissionGate.name, () => {
  it('runs up to `concurrency` decodes at once and starts the waiting ones in arrival order', async () => {
    const gate = new DecodeAdmissionGate({ concurrency: 2, queueLimit: 5 });
    const works = ['a', 'b', 'c', 'd'].map(manualWork);
    const results = works.map((work) => gate.run(work.run));
    await flush();
    expect(works.map((work) => work.started)).toEqual([true, true, false, false]);
    expect({ active: gate.active, queued: gate.queued }).toEqual({ active: 2, queued: 2 });

    works[1].finish();
    await flush();
    expect(works.map((work) => work.started)).toEqual([true, true, true, false]);
    works[0].finish();
    await flush();
    expect(works[3].started).toBe(true);
    works[2].finish();
    works[3].finish();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
    expect({ active: gate.active, queued: gate.queued }).toEqual({ active: 0, queued: 0 });
  });

  it('refuses a newcomer at once when the slots and the queue are full, naming both and when to retry', async () => {
    const gate = new DecodeAdmissionGate({ concurrency: 1, queueLimit: 1 });
    const running = manualWork('running');
    const waiting = manualWork('waiting');
    const first = gate.run(running.run);
    const second = gate.run(waiting.run);
    const refused = manualWork('refused');
    await expect(gate.run(refused.run)).rejects.toThrow(
      new DecodeRefusedError('too many images are being decoded right now (1 running, 1 waiting); retry in 2 s', 2),
    );
    expect(refused.started).toBe(false);
    running.finish();
    await first;
    waiting.finish();
    await expect(second).resolves.toBe('waiting');
  });

  it('frees the slot when a decode fails, and passes the failure on', async () => {
    const gate = new DecodeAdmissionGate({ concurrency: 1, queueLimit: 0 });
    const failing = manualWork('x');
    const result = gate.run(failing.run);
    await flush();
    failing.fail(new Error('corrupt'));
    await expect(result).rejects.toThrow('corrupt');
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });

  it('never refuses with an unbounded queue: callers wait (ingestion back-pressure)', async () => {
    const gate = new DecodeAdmissionGate({ concurrency: 1, queueLimit: Infinity });
    const works = Array.from({ length: 50 }, (_, i) => manualWork(i));
    const results = works.map((work) => gate.run(work.run));
    await flush();
    expect(gate.queued).toBe(49);
    for (const work of works) {
      work.finish();
      await flush();
    }
    await expect(Promise.all(results)).resolves.toHaveLength(50);
  });

  it('estimates Retry-After from the recent decode times and the queue ahead, within 1 to 30 s', async () => {
    const time = clock();
    const gate = new DecodeAdmissionGate({ concurrency: 2, queueLimit: 100 }, time.now);
    // Before any decode finished: 1 s per decode, one round ahead.
    expect(gate.retryAfterSeconds()).toBe(1);
    // Decodes of 6 s pull the average up (moving average, 20 % per sample).
    for (let i = 0; i < 30; i++) {
      await gate.run(async () => {
        time.advance(6_000);
      });
    }
    // No one queued, 2 slots: one frees within half a decode, 3 s.
    expect(gate.retryAfterSeconds()).toBe(3);
    const blockers = [manualWork(null), manualWork(null), manualWork(null), manualWork(null)];
    const results = blockers.map((work) => gate.run(work.run));
    await flush();
    // Two queued ahead: (2 + 1) / 2 rounds of 6 s = 9 s.
    expect(gate.retryAfterSeconds()).toBe(9);
    for (const work of blockers) {
      work.finish();
      await flush();
    }
    await Promise.all(results);
  });

  it('caps Retry-After at 30 s however long the queue', async () => {
    const time = clock();
    const gate = new DecodeAdmissionGate({ concurrency: 1, queueLimit: 100 }, time.now);
    await gate.run(async () => void time.advance(10_000));
    const blockers = Array.from({ length: 40 }, () => manualWork(null));
    const results = blockers.map((work) => gate.run(work.run));
    await flush();
    expect(gate.retryAfterSeconds()).toBe(30);
    for (const work of blockers) {
      work.finish();
      await flush();
    }
    await Promise.all(results);
  });

  it('rejects impossible settings with a message naming them', () => {
    expect(() => new DecodeAdmissionGate({ concurrency: 0, queueLimit: 1 })).toThrow(/decode concurrency must be a positive integer, got 0/);
    expect(() => new DecodeAdmissionGate({ concurrency: 1, queueLimit: -1 })).toThrow(/queue limit must be a whole number or Infinity, got -1/);
  });
});

describe(defaultDecodeConcurrency.name, () => {
  it('leaves one core to the event loop, and always allows one decode', () => {
    expect([1, 2, 4, 16].map(defaultDecodeConcurrency)).toEqual([1, 1, 3, 15]);
  });
});
