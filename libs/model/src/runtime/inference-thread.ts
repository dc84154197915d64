/**
 * One onnxruntime worker thread as its owner sees it: started with its `workerData`, ready once it
 * sent its hello (which sessions it loaded, on which provider), then runs by id, each answered by
 * one reply. A crash or exit after start fails the runs in progress and every later one, and is
 * told to `onDeath` first (so a pool never hands the next run to a dead thread).
 */
import { Worker } from 'node:worker_threads';

/** An inference worker thread died: the batch it computed fails with it, and so does every later run once a tower has no worker left. */
export class InferenceLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InferenceLostError';
  }
}

export interface InferenceThreadOptions<Reply> {
  /** The worker script (plain CommonJS: a worker thread has no TypeScript loader). */
  file: string;
  /** Thread name, and the name in messages ("the vision inference worker"). */
  label: string;
  workerData: unknown;
  /** Told once if the thread dies after it started. */
  onDeath(error: Error): void;
  /** The run's result from its reply; throw when the reply carries none. */
  resultOf(reply: Reply): unknown;
}

export interface InferenceThread<Hello, Result> {
  hello: Hello;
  /** Sends one run; `transfer` lists buffers moved to the thread without a copy. */
  run(message: object, transfer?: ArrayBuffer[]): Promise<Result>;
  terminate(): Promise<void>;
}

interface ReplyEnvelope {
  id: number;
  error?: string;
}

export async function startInferenceThread<Hello, Reply extends ReplyEnvelope, Result>(
  options: InferenceThreadOptions<Reply>,
): Promise<InferenceThread<Hello, Result>> {
  const worker = new Worker(options.file, { name: `inference-${options.label}`, workerData: options.workerData });
  const hello = await new Promise<Hello>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`${options.label} inference worker exited with code ${code} while loading`));
    worker.once('message', (message: Hello) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', onExit);
  });
  const pending = new Map<number, { resolve(result: Result): void; reject(error: Error): void }>();
  let nextId = 0;
  let failed: Error | undefined;
  const fail = (error: Error) => {
    failed ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error !== undefined) {
      waiter.reject(new Error(reply.error));
      return;
    }
    try {
      waiter.resolve(options.resultOf(reply) as Result);
    } catch (error) {
      waiter.reject(error as Error);
    }
  });
  const died = (error: Error) => {
    options.onDeath(error);
    fail(error);
  };
  const onExit = (code: number) => died(new InferenceLostError(`the ${options.label} inference worker exited with code ${code}`));
  worker.on('error', (error) => died(new InferenceLostError(`the ${options.label} inference worker crashed: ${error.message}`)));
  worker.on('exit', onExit);
  return {
    hello,
    run(message, transfer = []) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise<Result>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ ...message, id }, transfer);
      });
    },
    async terminate() {
      worker.off('exit', onExit);
      await worker.terminate();
      fail(new Error('the model runtime is closed'));
    },
  };
}
