/**
 * Where the two towers' onnxruntime sessions live: on the calling thread, or
 * on a worker thread so inference never blocks the event loop (gRPC I/O,
 * health probes and deadlines keep running while a batch computes).
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

export class NoExecutionProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoExecutionProviderError';
  }
}

export function sessionOptionsFor(provider: ExecutionProvider, intraOpThreads: number | undefined): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
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
      const sessionOptions = sessionOptionsFor(provider, options.intraOpThreads);
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
  names?: Record<Tower, { inputs: string[]; outputs: string[] }>;
}

/**
 * Sessions on a worker thread (`inference.worker.js`, plain CommonJS so it
 * needs no TypeScript loader). Inputs are copied to the worker; outputs are
 * transferred back without a copy.
 */
export async function createWorkerBackend(model: LoadedModelDirectory, options: TowerBackendOptions): Promise<TowerBackend> {
  const worker = new Worker(path.join(__dirname, 'inference.worker.js'), {
    workerData: {
      visionPath: model.visionPath,
      textPath: model.textPath,
      executionProviders: [...options.executionProviders],
      intraOpThreads: options.intraOpThreads,
    },
  });
  const pending = new Map<number, { resolve(output: TensorOutput): void; reject(error: Error): void }>();
  let nextId = 0;
  let exited: Error | undefined;
  const hello = await new Promise<WorkerReady>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`inference worker exited with code ${code} while loading`));
    worker.once('message', (message: WorkerReady) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', onExit);
  });
  for (const entry of hello.skipped) options.onProviderSkipped?.(entry.provider, entry.reason);
  if (!hello.executionProvider || !hello.names) {
    await worker.terminate();
    throw new NoExecutionProviderError(describeFailure(model, options, hello.skipped));
  }
  worker.on('message', (reply: WorkerReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error !== undefined || !reply.output) waiter.reject(new Error(reply.error ?? 'inference worker sent no output'));
    else waiter.resolve({ ...reply.output, data: new Float32Array(reply.output.data.buffer, reply.output.data.byteOffset, reply.output.data.length) });
  });
  const fatalListeners: ((error: Error) => void)[] = [];
  const failAll = (error: Error) => {
    exited = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  const die = (error: Error) => {
    const first = !exited;
    failAll(error);
    if (first) for (const listener of fatalListeners) listener(error);
  };
  const onExit = (code: number) => die(new Error(`inference worker exited with code ${code}`));
  worker.on('error', (error) => die(error));
  worker.on('exit', onExit);

  return {
    executionProvider: hello.executionProvider,
    skippedProviders: hello.skipped,
    names: hello.names,
    run(tower, feeds, output) {
      if (exited) return Promise.reject(exited);
      const id = nextId++;
      return new Promise<TensorOutput>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, tower, feeds, output });
      });
    },
    onFatal(listener) {
      fatalListeners.push(listener);
    },
    async close() {
      worker.off('exit', onExit);
      await worker.terminate();
      failAll(new Error('the model runtime is closed'));
    },
  };
}

function describeFailure(model: LoadedModelDirectory, options: TowerBackendOptions, skipped: { provider: ExecutionProvider; reason: string }[]): string {
  return `no execution provider of [${options.executionProviders.join(', ')}] could load ${model.dir}: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`;
}
