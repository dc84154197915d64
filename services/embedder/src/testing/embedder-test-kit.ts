/**
 * Helpers of the embedder's integration tests (never imported by production code): a service
 * started while its inference worker threads are recorded, and a grpc.health.v1 probe.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { startEmbedderService } from '../index';

/**
 * Records the inference worker threads the model runtimes create (the only way in from outside)
 * until `stopRecording` is called: the ones of start-up and any replacement.
 */
export async function startRecordingWorkers(overrides: Parameters<typeof startEmbedderService>[0]) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');
  const OriginalWorker = workerThreads.Worker;
  const created: import('node:worker_threads').Worker[] = [];
  workerThreads.Worker = class RecordedWorker extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      super(...args);
      created.push(this);
    }
  };
  const stopRecording = () => {
    workerThreads.Worker = OriginalWorker;
  };
  try {
    return { service: await startEmbedderService(overrides), created, stopRecording };
  } catch (error) {
    stopRecording();
    throw error;
  }
}

/** grpc.health.v1 Check of one service name ('' = the whole server). */
export function healthProbe(port: number) {
  const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    check(request: { service: string }, callback: (error: grpc.ServiceError | null, response: { status: unknown }) => void): void;
  };
  const status = (service = '') =>
    new Promise<unknown>((resolve, reject) => health.check({ service }, (error, reply) => (error ? reject(error) : resolve(reply.status))));
  return { status, close: () => health.close() };
}
