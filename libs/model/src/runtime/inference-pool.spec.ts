// Unit tier: real: InferencePool; fake: the workers (FakeWorker, settled by hand, never timed).
import { ComputeActivity, InferencePool, InferencePoolLostError, type InferenceWorkerHandle, type InferenceWorkerRole } from './inference-pool';

interface PendingRun {
  job: string;
  resolve(result: string): void;
  reject(error: Error): void;
}

/** A worker whose runs settle when the test says so; it can die like a crashed thread. */
class FakeWorker implements InferenceWorkerHandle<string, string> {
  readonly runs: PendingRun[] = [];
  terminated = false;

  constructor(
    readonly id: number,
    private readonly onDeath: (error: Error) => void,
    readonly role: InferenceWorkerRole,
  ) {}

  run(job: string): Promise<string> {
    if (this.terminated) return Promise.reject(new Error(`worker ${this.id} was terminated`));
    return new Promise((resolve, reject) => this.runs.push({ job, resolve, reject }));
  }

  async terminate(): Promise<void> {
    this.terminated = true;
  }

  /** Completes the oldest run still pending with `<job>@<worker id>`. */
  finishNext(): void {
    const run = this.runs.shift();
    if (!run) throw new Error(`worker ${this.id} has no run to finish`);
    run.resolve(`${run.job}@${this.id}`);
  }

  /** The thread dies: the pool hears first (as tower-backend tells it), then the run in progress fails. */
  die(): void {
    this.terminated = true;
    this.onDeath(new Error(`worker ${this.id} exited with code 1`));
    for (const run of this.runs.splice(0)) run.reject(new Error(`worker ${this.id} exited with code 1`));
  }
}

/** Starts FakeWorkers; `failFrom` makes every start from that count on fail. */
function workerFactory(failFrom = Number.POSITIVE_INFINITY) {
  const started: FakeWorker[] = [];
  const startWorker = async (onDeath: (error: Error) => void, role: InferenceWorkerRole) => {
    if (started.length >= failFrom) throw new Error('cannot load the model');
    const worker = new FakeWorker(started.length, onDeath, role);
    started.push(worker);
    return worker;
  };
  return { started, startWorker };
}

/** Lets promise callbacks (the pool's bookkeeping after a run settles) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(InferencePool.name, () => {
  it('starts the configured number of workers', async () => {
    const { started, startWorker } = workerFactory();
    const pool = await InferencePool.start({ name: 'text', size: 3, startWorker });
    expect(started).toHaveLength(3);
    expect(pool.size).toBe(3);
    expect(pool.idle).toBe(3);
    await pool.close();
    expect(started.every((worker) => worker.terminated)).toBe(true);
  });

  it('refuses a size that is not a whole number of at least one, naming it', async () => {
    const { startWorker } = workerFactory();
    await expect(InferencePool.start({ name: 'text', size: 0, startWorker })).rejects.toThrow('text inference pool size must be a whole number ≥ 1, got 0');
  });

  it('stops the workers already started when one fails to start', async () => {
    const { started, startWorker } = workerFactory(1);
    await expect(InferencePool.start({ name: 'image', size: 2, startWorker })).rejects.toThrow('cannot load the model');
    expect(started[0].terminated).toBe(true);
  });

  it('gives a run to a free worker while another computes', async () => {
    const { started, startWorker } = workerFactory();
    const pool = await InferencePool.start({ name: 'text', size: 2, startWorker });
    const first = pool.run('a');
    const second = pool.run('b');
    expect(started[0].runs.map((run) => run.job)).toEqual(['a']);
    expect(started[1].runs.map((run) => run.job)).toEqual(['b']);
    expect(pool.idle).toBe(0);
    started[1].finishNext();
    started[0].finishNext();
    await expect(first).resolves.toBe('a@0');
    await expect(second).resolves.toBe('b@1');
    await pool.close();
  });

  it('uses the first free worker, so a light load stays on one warm worker', async () => {
    const { started, startWorker } = workerFactory();
    const pool = await InferencePool.start({ name: 'text', size: 2, startWorker });
    for (const job of ['a', 'b', 'c']) {
      const result = pool.run(job);
      started[0].finishNext();
      await expect(result).resolves.toBe(`${job}@0`);
    }
    expect(started[1].runs).toHaveLength(0);
    await pool.close();
  });

  it('does not hold runs behind a slow worker: the other worker takes every waiting run in turn', async () => {
    const { started, startWorker } = workerFactory();
    const pool = await InferencePool.start({ name: 'image', size: 2, startWorker });
    const slow = pool.run('slow');
    const quick = ['q1', 'q2', 'q3'].map((job) => pool.run(job));
    for (const [index, result] of quick.entries()) {
      started[1].finishNext();
      await settle();
      await expect(result).resolves.toBe(`q${index + 1}@1`);
    }
    expect(started[0].runs.map((run) => run.job)).toEqual(['slow']);
    started[0].finishNext();
    await expect(slow).resolves.toBe('slow@0');
    await pool.close();
  });

  it('resolves each run with its own result when workers finish out of order', async () => {
    const { started, startWorker } = workerFactory();
    const pool = await InferencePool.start({ name: 'text', size: 3, startWorker });
    const runs = ['a', 'b', 'c'].map((job) => pool.run(job));
    started[2].finishNext();
    started[0].finishNext();
    started[1].finishNext();
    await expect(Promise.all(runs)).resolves.toEqual(['a@0', 'b@1', 'c@2']);
    await pool.close();
  });

  it('fails the run of a worker that dies, replaces the worker and goes on', async () => {
    const { started, startWorker } = workerFactory();
    const died: { replacing: boolean; left: number }[] = [];
    const pool = await InferencePool.start({
      name: 'text',
      size: 2,
      startWorker,
      onWorkerDied: (_error, replacing, left) => died.push({ replacing, left }),
    });
    const lost = pool.run('lost');
    started[0].die();
    await expect(lost).rejects.toThrow('worker 0 exited with code 1');
    expect(died).toEqual([{ replacing: true, left: 1 }]);
    await settle();
    expect(started).toHaveLength(3);
    expect(pool.size).toBe(2);
    // The replacement fills the dead worker's place, so it is the first free one.
    const next = pool.run('next');
    started[2].finishNext();
    await expect(next).resolves.toBe('next@2');
    await pool.close();
  });

  it('is lost, and tells its listeners once, only when no worker is left and none starts', async () => {
    const { started, startWorker } = workerFactory(2);
    const pool = await InferencePool.start({ name: 'text', size: 2, startWorker });
    const lost: Error[] = [];
    pool.onLost((error) => lost.push(error));
    started[0].die();
    await settle();
    expect(lost).toHaveLength(0);
    const stillServed = pool.run('still served');
    started[1].finishNext();
    await expect(stillServed).resolves.toBe('still served@1');
    const waiting = pool.run('in flight');
    started[1].die();
    await expect(waiting).rejects.toThrow('worker 1 exited with code 1');
    await settle();
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(InferencePoolLostError);
    expect(lost[0].message).toBe('every text inference worker died and none could be started again (last: worker 1 exited with code 1)');
    await expect(pool.run('later')).rejects.toBe(lost[0]);
    await pool.close();
  });

  it('rejects runs still waiting for a worker when it closes', async () => {
    const { startWorker } = workerFactory();
    const pool = await InferencePool.start({ name: 'image', size: 1, startWorker });
    void pool.run('computing').catch(() => undefined);
    const waiting = pool.run('waiting');
    await pool.close();
    await expect(waiting).rejects.toThrow('the image inference pool is closed');
    await expect(pool.run('after')).rejects.toThrow('the image inference pool is closed');
  });

  it('adds workers that take waiting runs as soon as they are ready', async () => {
    const { started, startWorker } = workerFactory();
    const pool = await InferencePool.start({ name: 'image', size: 1, startWorker });
    const runs = ['a', 'b'].map((job) => pool.run(job));
    expect(started[0].runs.map((run) => run.job)).toEqual(['a']);
    await pool.addWorkers(1);
    expect(pool.size).toBe(2);
    expect(started[1].runs.map((run) => run.job)).toEqual(['b']);
    started[1].finishNext();
    started[0].finishNext();
    await expect(Promise.all(runs)).resolves.toEqual(['a@0', 'b@1']);
    await pool.close();
  });

  describe('with a latency worker', () => {
    /** Two throughput workers (0, 1) and a latency worker (2). */
    async function poolWithLatencyWorker(failFrom?: number) {
      const factory = workerFactory(failFrom);
      const pool = await InferencePool.start({ name: 'text', size: 2, startWorker: factory.startWorker });
      await pool.addWorkers(1, 'latency');
      return { ...factory, pool, latency: factory.started[2] };
    }
    const jobsOf = (worker: FakeWorker) => worker.runs.map((run) => run.job);

    it('counts it as a session but not as a batch that computes side by side', async () => {
      const { pool, latency } = await poolWithLatencyWorker();
      expect(latency.role).toBe('latency');
      expect(pool.size).toBe(3);
      expect(pool.concurrency).toBe(2);
      await pool.close();
    });

    it('gives a lone run to the latency worker, and a run arriving meanwhile to a throughput worker', async () => {
      const { started, pool, latency } = await poolWithLatencyWorker();
      const lone = pool.run('lone');
      expect(jobsOf(latency)).toEqual(['lone']);
      const second = pool.run('second');
      expect(jobsOf(started[0])).toEqual(['second']);
      latency.finishNext();
      started[0].finishNext();
      await expect(Promise.all([lone, second])).resolves.toEqual(['lone@2', 'second@0']);
      await pool.close();
    });

    it('gives a lone run that may not use the latency worker (a bulk batch) to a throughput worker', async () => {
      const { started, pool, latency } = await poolWithLatencyWorker();
      const bulk = pool.run('bulk', { mayUseLatencyWorker: false });
      expect(jobsOf(started[0])).toEqual(['bulk']);
      expect(jobsOf(latency)).toEqual([]);
      started[0].finishNext();
      await expect(bulk).resolves.toBe('bulk@0');
      await pool.close();
    });

    it('leaves the latency worker idle while a throughput worker computes: runs wait for a throughput worker', async () => {
      const { started, pool, latency } = await poolWithLatencyWorker();
      const first = pool.run('first');
      const second = pool.run('second');
      latency.finishNext();
      await expect(first).resolves.toBe('first@2');
      // started[0] still computes 'second': the next runs go to throughput workers only.
      const third = pool.run('third');
      const fourth = pool.run('fourth');
      expect(jobsOf(started[1])).toEqual(['third']);
      expect(jobsOf(latency)).toEqual([]);
      started[0].finishNext();
      await expect(second).resolves.toBe('second@0');
      expect(jobsOf(started[0])).toEqual(['fourth']);
      started[1].finishNext();
      started[0].finishNext();
      await expect(Promise.all([third, fourth])).resolves.toEqual(['third@1', 'fourth@0']);
      await pool.close();
    });

    it('leaves the latency worker idle while a pool sharing its activity computes (the other tower on the same cores)', async () => {
      const activity = new ComputeActivity();
      const imageWorkers = workerFactory();
      const images = await InferencePool.start({ name: 'image', size: 1, startWorker: imageWorkers.startWorker, activity });
      const textWorkers = workerFactory();
      const texts = await InferencePool.start({ name: 'text', size: 1, startWorker: textWorkers.startWorker, activity });
      await texts.addWorkers(1, 'latency');
      const [throughput, latency] = textWorkers.started;
      const bulk = images.run('bulk image');
      const query = texts.run('query under bulk');
      expect(jobsOf(throughput)).toEqual(['query under bulk']);
      throughput.finishNext();
      await expect(query).resolves.toBe('query under bulk@0');
      imageWorkers.started[0].finishNext();
      await expect(bulk).resolves.toBe('bulk image@0');
      expect(activity.running).toBe(0);
      const lone = texts.run('lone query');
      expect(jobsOf(latency)).toEqual(['lone query']);
      latency.finishNext();
      await expect(lone).resolves.toBe('lone query@1');
      await Promise.all([images.close(), texts.close()]);
    });

    it('replaces a latency worker that dies with another latency worker', async () => {
      const { started, pool, latency } = await poolWithLatencyWorker();
      const lost = pool.run('lost');
      latency.die();
      await expect(lost).rejects.toThrow('worker 2 exited with code 1');
      await settle();
      expect(started[3].role).toBe('latency');
      // The lost run no longer counts as computing: the next lone run takes the replacement.
      expect(pool.concurrency).toBe(2);
      const next = pool.run('next');
      started[3].finishNext();
      await expect(next).resolves.toBe('next@3');
      await pool.close();
    });

    it('serves with the latency worker alone while no throughput worker is left', async () => {
      const { started, pool, latency } = await poolWithLatencyWorker(3);
      started[0].die();
      started[1].die();
      await settle();
      expect(pool.size).toBe(1);
      expect(pool.concurrency).toBe(1);
      const runs = ['a', 'b'].map((job) => pool.run(job));
      expect(jobsOf(latency)).toEqual(['a']);
      latency.finishNext();
      await settle();
      latency.finishNext();
      await expect(Promise.all(runs)).resolves.toEqual(['a@2', 'b@2']);
      await pool.close();
    });
  });
});
