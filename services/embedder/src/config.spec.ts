import { ConfigError } from '@vsearch/config';
import { BUNDLED_MODEL_DIR } from '@vsearch/model';
import { loadEmbedderConfig } from './config';

describe(loadEmbedderConfig.name, () => {
  it('runs the bundled model, CUDA first, with the documented defaults', () => {
    const config = loadEmbedderConfig({}, {});
    expect(config.grpc.port).toBe(50051);
    expect(config.metricsPort).toBe(9464);
    expect(config.model).toEqual({
      dir: BUNDLED_MODEL_DIR,
      executionProviders: ['cuda', 'cpu'],
      intraOpThreads: undefined,
      intraOpSpinning: false,
      inferenceThread: 'worker',
    });
    expect(config.batching).toEqual({ maxBatch: 32, maxWaitMs: 5, maxQueueItems: 2048, minBulkSlots: undefined, maxBatchWhileInteractive: 8 });
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

  it('refuses a per-call limit above the queue size', () => {
    expect(() => loadEmbedderConfig({}, { MAX_QUEUE: '10', MAX_ITEMS_PER_CALL: '11' })).toThrow(/MAX_ITEMS_PER_CALL.*must not exceed MAX_QUEUE/s);
  });
});
