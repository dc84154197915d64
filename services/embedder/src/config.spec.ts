import { ConfigError } from '@vsearch/config';
import { BUNDLED_DESCRIBER_DIR, BUNDLED_MODEL_DIR } from '@vsearch/model';
import { loadEmbedderConfig } from './config';

describe(loadEmbedderConfig.name, () => {
  it('runs the bundled model, CUDA first, with the documented defaults', () => {
    const config = loadEmbedderConfig({}, {});
    expect(config.grpc.port).toBe(50051);
    expect(config.metricsPort).toBe(9464);
    expect(config.model).toEqual({
      dir: BUNDLED_MODEL_DIR,
      executionProviders: ['cuda', 'cpu'],
      intraOpThreads: 'auto',
      inferenceWorkers: 'auto',
      latencyWorkerThreads: 'auto',
      intraOpSpinning: false,
      inferenceThread: 'worker',
    });
    expect(config.batching).toEqual({ maxBatch: 32, maxWaitMs: 5, maxQueueItems: 2048, minBulkSlots: undefined, maxBatchWhileInteractive: 8 });
  });

  it('serves the bundled describer by default, and none when it is turned off', () => {
    expect(loadEmbedderConfig({}, {}).describer).toEqual({
      modelDir: BUNDLED_DESCRIBER_DIR,
      intraOpThreads: 1,
      batching: { maxRows: 32, maxQueueItems: 256, minBulkRows: undefined, maxBulkJoinsWhileInteractive: undefined },
      limits: { maxImagesPerCall: 32, maxQuestionChars: 500 },
    });
    expect(loadEmbedderConfig({ DESCRIBER_ENABLED: 'false' }, {}).describer).toBeUndefined();
    expect(loadEmbedderConfig({ DESCRIBER_MAX_ROWS: 1, DESCRIBER_MIN_BULK_ROWS: 2 }, {}).describer?.batching).toMatchObject({ maxRows: 1, minBulkRows: 2 });
  });

  it('refuses a describer call limit its queue could never hold, naming the variable', () => {
    expect(() => loadEmbedderConfig({ DESCRIBER_MAX_QUEUE: 8, DESCRIBER_MAX_IMAGES_PER_CALL: 9 }, {})).toThrow(/DESCRIBER_MAX_IMAGES_PER_CALL/);
    expect(() => loadEmbedderConfig({ DESCRIBER_MAX_ROWS: 0 }, {})).toThrow(/DESCRIBER_MAX_ROWS/);
  });

  it('applies overrides over the environment', () => {
    const config = loadEmbedderConfig({ MAX_BATCH: 8, EXECUTION_PROVIDERS: 'cpu' }, { MAX_BATCH: '64', MAX_WAIT_MS: '2' });
    expect(config.batching.maxBatch).toBe(8);
    expect(config.batching.maxWaitMs).toBe(2);
    expect(config.batching.maxBatchWhileInteractive).toBe(2);
    expect(loadEmbedderConfig({ MAX_BATCH: 1 }, {}).batching.maxBatchWhileInteractive).toBe(1);
    expect(loadEmbedderConfig({ MAX_BATCH_WHILE_INTERACTIVE: 32 }, {}).batching.maxBatchWhileInteractive).toBe(32);
    expect(config.model.executionProviders).toEqual(['cpu']);
  });

  it('fails naming every bad variable', () => {
    expect(() => loadEmbedderConfig({}, { EXECUTION_PROVIDERS: 'tpu', MAX_BATCH: '0', MAX_QUEUE: '10', MAX_ITEMS_PER_CALL: '11' })).toThrow(ConfigError);
    try {
      loadEmbedderConfig({}, { EXECUTION_PROVIDERS: 'tpu', MAX_BATCH: '0', MAX_QUEUE: '10', MAX_ITEMS_PER_CALL: '11' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/EXECUTION_PROVIDERS/);
      expect(message).toMatch(/MAX_BATCH/);
    }
  });

  it('takes auto or a whole number of inference workers and intra-op threads, and names a bad one', () => {
    expect(loadEmbedderConfig({ INFERENCE_WORKERS: 3, INTRA_OP_THREADS: 'auto' }, {}).model).toMatchObject({ inferenceWorkers: 3, intraOpThreads: 'auto' });
    expect(loadEmbedderConfig({}, { INFERENCE_WORKERS: 'auto', INTRA_OP_THREADS: '2' }).model).toMatchObject({ inferenceWorkers: 'auto', intraOpThreads: 2 });
    expect(() => loadEmbedderConfig({}, { INFERENCE_WORKERS: 'many' })).toThrow(/INFERENCE_WORKERS.*must be auto or a whole number/s);
    expect(() => loadEmbedderConfig({}, { INTRA_OP_THREADS: '0' })).toThrow(/INTRA_OP_THREADS.*must be auto or a whole number/s);
  });

  it('takes auto, 0 or a whole number of latency worker threads, and names a bad one', () => {
    expect(loadEmbedderConfig({ LATENCY_WORKER_THREADS: 0 }, {}).model.latencyWorkerThreads).toBe(0);
    expect(loadEmbedderConfig({}, { LATENCY_WORKER_THREADS: '4' }).model.latencyWorkerThreads).toBe(4);
    expect(() => loadEmbedderConfig({}, { LATENCY_WORKER_THREADS: '-1' })).toThrow(/LATENCY_WORKER_THREADS.*must be auto or a whole number ≥ 0/s);
    expect(() => loadEmbedderConfig({}, { LATENCY_WORKER_THREADS: 'fast' })).toThrow(/LATENCY_WORKER_THREADS.*must be auto or a whole number ≥ 0/s);
  });

  it('runs one session per tower on the event loop, and refuses more there', () => {
    expect(loadEmbedderConfig({ INFERENCE_THREAD: 'main' }, {}).model.inferenceWorkers).toBe(1);
    expect(loadEmbedderConfig({ INFERENCE_THREAD: 'main' }, {}).model.latencyWorkerThreads).toBe(0);
    expect(() => loadEmbedderConfig({ INFERENCE_THREAD: 'main', LATENCY_WORKER_THREADS: 2 }, {})).toThrow(
      /LATENCY_WORKER_THREADS.*must be 0 or auto with INFERENCE_THREAD=main/s,
    );
    expect(() => loadEmbedderConfig({ INFERENCE_THREAD: 'main', INFERENCE_WORKERS: 2 }, {})).toThrow(
      /INFERENCE_WORKERS.*must be 1 or auto with INFERENCE_THREAD=main/s,
    );
  });

  it('refuses a per-call limit above the queue size', () => {
    expect(() => loadEmbedderConfig({}, { MAX_QUEUE: '10', MAX_ITEMS_PER_CALL: '11' })).toThrow(/MAX_ITEMS_PER_CALL.*must not exceed MAX_QUEUE/s);
  });
});
