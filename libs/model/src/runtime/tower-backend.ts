/**
 * Where the two towers' onnxruntime sessions live: on the calling thread, or
 * on one worker thread per tower so inference never blocks the event loop
 * (gRPC I/O, health probes and deadlines keep running while a batch computes).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { LoadedModelDirectory } from '../manifest';

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
}

export interface TowerBackend {
  readonly executionProvider: ExecutionProvider;
  readonly skippedProviders: { provider: ExecutionProvider; reason: string }[];
  readonly names: Record<Tower, { inputs: string[]; outputs: string[] }>;
  run(tower: Tower, feeds: Record<string, TensorInput>, output: string): Promise<TensorOutput>;
  /** Called once if the backend dies for good (the worker thread crashed); every later run rejects. */
  onFatal(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

/** Inference can never run again in this process (a worker thread died); every later run rejects with it. */
export class InferenceLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InferenceLostError';
  }
}

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
export async function createInProcessBackend(model: LoadedModelDirectory, options: TowerBackendOptions): Promise<TowerBackend> {
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

/** One tower's session on its own worker thread. */
interface TowerWorker {
  executionProvider: ExecutionProvider;
  /** Providers tried before the one in use, with why they were skipped. */
  skipped: WorkerReady['skipped'];
  names: { inputs: string[]; outputs: string[] };
  run(feeds: Record<string, TensorInput>, output: string): Promise<TensorOutput>;
  /** Rejects every pending and later run with `error`. */
  fail(error: Error): void;
  terminate(): Promise<void>;
}

/**
 * Starts `inference.worker.js` for one tower with the given providers; resolves once its session
 * exists, or with the reasons every provider was skipped. `onDeath` hears of a crash after that.
 */
async function startTowerWorker(
  tower: Tower,
  modelPath: string,
  providers: readonly ExecutionProvider[],
  threads: Pick<TowerBackendOptions, 'intraOpThreads' | 'intraOpSpinning'>,
  onDeath: (error: Error) => void,
): Promise<TowerWorker | { skipped: WorkerReady['skipped'] }> {
  const worker = new Worker(path.join(__dirname, 'inference.worker.js'), {
    name: `inference-${tower}`,
    workerData: {
      tower,
      modelPath,
      sessionOptions: providers.map((provider) => ({ provider, options: sessionOptionsFor(provider, threads.intraOpThreads, threads.intraOpSpinning) })),
    },
  });
  const hello = await new Promise<WorkerReady>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`${tower} inference worker exited with code ${code} while loading`));
    worker.once('message', (message: WorkerReady) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', onExit);
  });
  if (!hello.executionProvider || !hello.names) {
    await worker.terminate();
    return { skipped: hello.skipped };
  }
  const pending = new Map<number, { resolve(output: TensorOutput): void; reject(error: Error): void }>();
  let nextId = 0;
  let failed: Error | undefined;
  const fail = (error: Error) => {
    failed ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: WorkerReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error !== undefined || !reply.output) waiter.reject(new Error(reply.error ?? 'inference worker sent no output'));
    else waiter.resolve({ ...reply.output, data: new Float32Array(reply.output.data.buffer, reply.output.data.byteOffset, reply.output.data.length) });
  });
  const onExit = (code: number) => onDeath(new InferenceLostError(`the ${tower} inference worker exited with code ${code}`));
  worker.on('error', (error) => onDeath(new InferenceLostError(`the ${tower} inference worker crashed: ${error.message}`)));
  worker.on('exit', onExit);
  return {
    executionProvider: hello.executionProvider,
    skipped: hello.skipped,
    names: hello.names,
    run(feeds, output) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise<TensorOutput>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, feeds, output });
      });
    },
    fail,
    async terminate() {
      worker.off('exit', onExit);
      await worker.terminate();
    },
  };
}

/**
 * Each tower's session on its own worker thread (`inference.worker.js`, plain
 * CommonJS so it needs no TypeScript loader): the event loop stays free, and a
 * text query computes beside an image batch rather than after it. Outputs are
 * transferred back without a copy. The text tower uses the provider the image
 * tower settled on, so both run on the same device.
 */
export async function createWorkerBackend(model: LoadedModelDirectory, options: TowerBackendOptions): Promise<TowerBackend> {
  let dead: Error | undefined;
  const fatalListeners: ((error: Error) => void)[] = [];
  const workers: Partial<Record<Tower, TowerWorker>> = {};
  const die = (error: Error) => {
    if (dead) return;
    dead = error;
    for (const worker of Object.values(workers)) worker.fail(error);
    for (const listener of fatalListeners) listener(error);
  };
  const vision = await startTowerWorker('vision', model.visionPath, options.executionProviders, options, die);
  if (!('run' in vision)) {
    for (const entry of vision.skipped) options.onProviderSkipped?.(entry.provider, entry.reason);
    throw new NoExecutionProviderError(describeFailure(model, options, vision.skipped));
  }
  workers.vision = vision;
  for (const entry of vision.skipped) options.onProviderSkipped?.(entry.provider, entry.reason);
  const text = await startTowerWorker('text', model.textPath, [vision.executionProvider], options, die);
  if (!('run' in text)) {
    await vision.terminate();
    const skipped = [...vision.skipped, ...text.skipped.map((entry) => ({ ...entry, reason: `text tower: ${entry.reason}` }))];
    options.onProviderSkipped?.(vision.executionProvider, skipped.at(-1)!.reason);
    throw new NoExecutionProviderError(describeFailure(model, options, skipped));
  }
  workers.text = text;
  return {
    executionProvider: vision.executionProvider,
    skippedProviders: vision.skipped,
    names: { vision: vision.names, text: text.names },
    run(tower, feeds, output) {
      if (dead) return Promise.reject(dead);
      return (tower === 'vision' ? vision : text).run(feeds, output);
    },
    onFatal(listener) {
      fatalListeners.push(listener);
    },
    async close() {
      await Promise.all([vision.terminate(), text.terminate()]);
      const closed = new Error('the model runtime is closed');
      vision.fail(closed);
      text.fail(closed);
    },
  };
}

function describeFailure(model: LoadedModelDirectory, options: TowerBackendOptions, skipped: { provider: ExecutionProvider; reason: string }[]): string {
  return `no execution provider of [${options.executionProviders.join(', ')}] could load ${model.dir}: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`;
}
