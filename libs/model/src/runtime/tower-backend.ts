/**
 * Where the two towers' onnxruntime sessions live: on the calling thread, or
 * in a pool of worker threads per tower (one session each) so inference never
 * blocks the event loop (gRPC I/O, health probes and deadlines keep running
 * while batches compute) and batches of a tower compute side by side.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { LoadedModelDirectory } from '../manifest';
import { InferencePool, processComputeActivity, type InferenceRunOptions, type InferenceWorkerHandle } from './inference-pool';
import { InferenceLostError, startInferenceThread } from './inference-thread';

export type ExecutionProvider = 'cuda' | 'cpu';
export type Tower = 'vision' | 'text';

export interface TensorInput {
  type: 'float32' | 'int64';
  data: Float32Array | BigInt64Array;
  dims: number[];
}

export interface TensorOutput {
  type: string;
  data: Float32Array;
  dims: readonly number[];
}

export interface TowerBackendOptions {
  executionProviders: readonly ExecutionProvider[];
  intraOpThreads: number | undefined;
  /** Whether idle onnxruntime pool threads spin waiting for work (onnxruntime's default: yes). */
  intraOpSpinning: boolean;
  onProviderSkipped?: (provider: ExecutionProvider, reason: string) => void;
  /** Sessions (worker threads) per tower, given where the first one computes; only the worker backend runs more than one. */
  workersPerTower: (provider: ExecutionProvider) => number;
  /**
   * Intra-op threads of each tower's latency worker (a session used only while nothing in the
   * process computes; see InferencePool), given where the first session computes; 0: none. Only the
   * worker backend starts one.
   */
  latencyWorkerThreads?: (provider: ExecutionProvider) => number;
  /** Told when an inference worker died, whether a replacement is being started, and how many are left. */
  onWorkerDied?: (tower: Tower, error: Error, replacing: boolean, workersLeft: number) => void;
}

export interface TowerBackend {
  readonly executionProvider: ExecutionProvider;
  readonly skippedProviders: { provider: ExecutionProvider; reason: string }[];
  readonly names: Record<Tower, { inputs: string[]; outputs: string[] }>;
  /** Throughput sessions each tower was started with. */
  readonly workersPerTower: number;
  /** Intra-op threads of each tower's latency worker; 0: there is none. */
  readonly latencyWorkerThreads: number;
  /** Batches of `tower` that can compute at once now: its live throughput sessions. */
  workers(tower: Tower): number;
  /** Sessions of `tower` alive now, the latency worker included. */
  sessions(tower: Tower): number;
  run(tower: Tower, feeds: Record<string, TensorInput>, output: string, options?: InferenceRunOptions): Promise<TensorOutput>;
  /** Called once if the backend dies for good (a tower has no worker left); every later run rejects. */
  onFatal(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export { InferenceLostError } from './inference-thread';

export class NoExecutionProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoExecutionProviderError';
  }
}

export function sessionOptionsFor(
  provider: ExecutionProvider,
  intraOpThreads: number | undefined,
  intraOpSpinning = true,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
    ...(intraOpSpinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    // Warnings only: onnxruntime's info lines are not JSON and would break the log stream.
    logSeverityLevel: 3,
  };
}

/** Sessions on the calling thread: onnxruntime-node's run() computes synchronously there. */
export async function createInProcessBackend(model: LoadedModelDirectory, options: Omit<TowerBackendOptions, 'workersPerTower'>): Promise<TowerBackend> {
  const skipped: { provider: ExecutionProvider; reason: string }[] = [];
  for (const provider of options.executionProviders) {
    let vision: ort.InferenceSession | undefined;
    try {
      const sessionOptions = sessionOptionsFor(provider, options.intraOpThreads, options.intraOpSpinning);
      vision = await ort.InferenceSession.create(model.visionPath, sessionOptions);
      const text = await ort.InferenceSession.create(model.textPath, sessionOptions);
      const sessions: Record<Tower, ort.InferenceSession> = { vision, text };
      return {
        executionProvider: provider,
        skippedProviders: skipped,
        names: {
          vision: { inputs: [...vision.inputNames], outputs: [...vision.outputNames] },
          text: { inputs: [...text.inputNames], outputs: [...text.outputNames] },
        },
        async run(tower, feeds, output) {
          const tensors: Record<string, ort.Tensor> = {};
          for (const [name, input] of Object.entries(feeds)) tensors[name] = new ort.Tensor(input.type, input.data, input.dims);
          const result = (await sessions[tower].run(tensors))[output] as ort.Tensor | undefined;
          if (!result) throw new Error(`${tower} model has no output ${output}`);
          return { type: result.type, data: result.data as Float32Array, dims: result.dims };
        },
        workersPerTower: 1,
        latencyWorkerThreads: 0,
        workers: () => 1,
        sessions: () => 1,
        onFatal() {
          // Sessions on the calling thread fail call by call; there is no separate thread to lose.
        },
        async close() {
          await Promise.all([vision!.release(), text.release()]);
        },
      };
    } catch (error) {
      await vision?.release().catch(() => undefined);
      const reason = error instanceof Error ? error.message : String(error);
      skipped.push({ provider, reason });
      options.onProviderSkipped?.(provider, reason);
    }
  }
  throw new NoExecutionProviderError(describeFailure(model, options, skipped));
}

interface WorkerReply {
  id: number;
  error?: string;
  output?: TensorOutput;
}

interface WorkerReady {
  ready: true;
  executionProvider?: ExecutionProvider;
  skipped: { provider: ExecutionProvider; reason: string }[];
  names?: { inputs: string[]; outputs: string[] };
}

/** One run of a tower's graph, as the pool hands it to a worker. */
interface TowerRun {
  feeds: Record<string, TensorInput>;
  output: string;
}

/** One session of a tower on its own worker thread. */
interface TowerWorker extends InferenceWorkerHandle<TowerRun, TensorOutput> {
  executionProvider: ExecutionProvider;
  /** Providers tried before the one in use, with why they were skipped. */
  skipped: WorkerReady['skipped'];
  names: { inputs: string[]; outputs: string[] };
}

/** No provider of the list could start a worker of this tower; carries why each was skipped. */
class TowerWorkerStartError extends Error {
  constructor(
    readonly tower: Tower,
    readonly skipped: WorkerReady['skipped'],
  ) {
    super(`${tower} inference worker could not start: ${skipped.map((entry) => `${entry.provider}: ${entry.reason}`).join('; ')}`);
    this.name = 'TowerWorkerStartError';
  }
}

/**
 * Starts `inference.worker.js` for one tower with the given providers; resolves once its session
 * exists, or throws TowerWorkerStartError with the reasons every provider was skipped. `onDeath`
 * hears of a crash after that, before the run in progress is rejected with the same error.
 */
async function startTowerWorker(
  tower: Tower,
  modelPath: string,
  providers: readonly ExecutionProvider[],
  threads: Pick<TowerBackendOptions, 'intraOpThreads' | 'intraOpSpinning'>,
  onDeath: (error: Error) => void,
): Promise<TowerWorker> {
  const thread = await startInferenceThread<WorkerReady, WorkerReply, TensorOutput>({
    file: path.join(__dirname, 'inference.worker.js'),
    label: tower,
    workerData: {
      tower,
      modelPath,
      sessionOptions: providers.map((provider) => ({ provider, options: sessionOptionsFor(provider, threads.intraOpThreads, threads.intraOpSpinning) })),
    },
    onDeath,
    resultOf: (reply) => {
      if (!reply.output) throw new Error('inference worker sent no output');
      return { ...reply.output, data: new Float32Array(reply.output.data.buffer, reply.output.data.byteOffset, reply.output.data.length) };
    },
  });
  const { hello } = thread;
  if (!hello.executionProvider || !hello.names) {
    await thread.terminate();
    throw new TowerWorkerStartError(tower, hello.skipped);
  }
  return {
    executionProvider: hello.executionProvider,
    skipped: hello.skipped,
    names: hello.names,
    run: ({ feeds, output }) => thread.run({ feeds, output }),
    terminate: () => thread.terminate(),
  };
}

/** A tower's pool and the settings its first worker found (every later worker uses the same provider). */
interface TowerPool {
  pool: InferencePool<TowerRun, TensorOutput>;
  first: TowerWorker;
}

/**
 * Starts the workers of one tower: the first tries `providers` in order, the rest (as many as
 * `options.workersPerTower` asks for that provider, and the latency worker if
 * `options.latencyWorkerThreads` gives it threads there) use the one it settled on.
 */
async function startTowerPool(tower: Tower, modelPath: string, providers: readonly ExecutionProvider[], options: TowerBackendOptions): Promise<TowerPool> {
  let first: TowerWorker | undefined;
  const pool = await InferencePool.start<TowerRun, TensorOutput>({
    name: tower,
    size: 1,
    startWorker: async (onDeath, role) => {
      const threads =
        role === 'latency' ? { intraOpThreads: options.latencyWorkerThreads?.(first!.executionProvider), intraOpSpinning: options.intraOpSpinning } : options;
      const worker = await startTowerWorker(tower, modelPath, first ? [first.executionProvider] : providers, threads, onDeath);
      first ??= worker;
      return worker;
    },
    onWorkerDied: (error, replacing, left) => options.onWorkerDied?.(tower, error, replacing, left),
    // Both towers of every loaded model share the cores: a latency worker starts only when none computes.
    activity: processComputeActivity,
  });
  try {
    await pool.addWorkers(options.workersPerTower(first!.executionProvider) - 1);
    if ((options.latencyWorkerThreads?.(first!.executionProvider) ?? 0) > 0) await pool.addWorkers(1, 'latency');
  } catch (error) {
    await pool.close();
    throw error;
  }
  return { pool, first: first! };
}

/**
 * Each tower's sessions on worker threads of their own (`inference.worker.js`, plain CommonJS so
 * it needs no TypeScript loader), `workersPerTower` of them per tower in an InferencePool: the
 * event loop stays free, a text query computes beside an image batch rather than after it, and
 * batches of one tower compute side by side on as many workers. Outputs are transferred back
 * without a copy. The text tower uses the provider the image tower settled on, so both run on the
 * same device. A worker that dies is replaced; the backend is lost (onFatal) only when a tower has
 * no worker left.
 */
export async function createWorkerBackend(model: LoadedModelDirectory, options: TowerBackendOptions): Promise<TowerBackend> {
  let dead: Error | undefined;
  const fatalListeners: ((error: Error) => void)[] = [];
  const die = (error: Error) => {
    if (dead) return;
    dead = new InferenceLostError(error.message);
    for (const listener of fatalListeners) listener(dead);
  };
  let vision: TowerPool;
  try {
    vision = await startTowerPool('vision', model.visionPath, options.executionProviders, options);
  } catch (error) {
    if (!(error instanceof TowerWorkerStartError)) throw error;
    for (const entry of error.skipped) options.onProviderSkipped?.(entry.provider, entry.reason);
    throw new NoExecutionProviderError(describeFailure(model, options, error.skipped));
  }
  for (const entry of vision.first.skipped) options.onProviderSkipped?.(entry.provider, entry.reason);
  let text: TowerPool;
  try {
    text = await startTowerPool('text', model.textPath, [vision.first.executionProvider], options);
  } catch (error) {
    await vision.pool.close();
    if (!(error instanceof TowerWorkerStartError)) throw error;
    const skipped = [...vision.first.skipped, ...error.skipped.map((entry) => ({ ...entry, reason: `text tower: ${entry.reason}` }))];
    options.onProviderSkipped?.(vision.first.executionProvider, skipped.at(-1)!.reason);
    throw new NoExecutionProviderError(describeFailure(model, options, skipped));
  }
  vision.pool.onLost(die);
  text.pool.onLost(die);
  const pools: Record<Tower, InferencePool<TowerRun, TensorOutput>> = { vision: vision.pool, text: text.pool };
  return {
    executionProvider: vision.first.executionProvider,
    skippedProviders: vision.first.skipped,
    names: { vision: vision.first.names, text: text.first.names },
    workersPerTower: options.workersPerTower(vision.first.executionProvider),
    latencyWorkerThreads: options.latencyWorkerThreads?.(vision.first.executionProvider) ?? 0,
    workers: (tower) => pools[tower].concurrency,
    sessions: (tower) => pools[tower].size,
    run(tower, feeds, output, runOptions) {
      if (dead) return Promise.reject(dead);
      return pools[tower].run({ feeds, output }, runOptions);
    },
    onFatal(listener) {
      fatalListeners.push(listener);
    },
    async close() {
      await Promise.all([vision.pool.close(), text.pool.close()]);
    },
  };
}

function describeFailure(
  model: LoadedModelDirectory,
  options: Pick<TowerBackendOptions, 'executionProviders'>,
  skipped: { provider: ExecutionProvider; reason: string }[],
): string {
  return `no execution provider of [${options.executionProviders.join(', ')}] could load ${model.dir}: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`;
}
