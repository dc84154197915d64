/**
 * The embedder's composition root, the one place that wires it: loads and
 * warms the model, builds the image decoder, the embedding service and the
 * gRPC handler with `new`, serves visualsearch.embedder.v1.EmbedderService
 * over gRPC (health turns SERVING only after warm-up) and Prometheus metrics
 * over HTTP. `close()` stops taking calls, finishes queued batches and
 * releases the model.
 */
import { markModelInUse, ModelRuntime, type ModelInUseMarker } from '@vsearch/model';
import { createLogger, createMetricsRegistry, startMetricsServer, type Logger } from '@vsearch/observability';
import { EMBEDDER_PROTO } from '@vsearch/proto';
import { startGrpcServer, type RunningGrpcServer } from '@vsearch/grpc-kit';
import { SharpImageDecoder } from './adapters/sharp.image-decoder';
import { loadEmbedderConfig, type EmbedderConfigOverrides } from './config';
import { EmbedderGrpcHandler } from './grpc/embedder.grpc-handler';
import { utf8CheckedEmbedderService } from './grpc/utf8-checked.definition';
import { EmbedderMetrics } from './metrics/embedder.metrics';
import { EmbeddingService } from './services/embedding.service';

export { loadEmbedderConfig, embedderEnvSchema, type EmbedderConfig, type EmbedderConfigOverrides, type EmbedderEnv } from './config';

export const EMBEDDER_SERVICE_NAME = 'visualsearch.embedder.v1.EmbedderService';

export interface RunningEmbedderService {
  port: number;
  metricsPort: number;
  modelId: string;
  executionProvider: string;
  /** Stops taking calls, finishes queued batches and in-flight calls, releases the model. */
  close(): Promise<void>;
}

export async function startEmbedderService(overrides: EmbedderConfigOverrides = {}, logger?: Logger): Promise<RunningEmbedderService> {
  const config = loadEmbedderConfig(overrides);
  const log = logger ?? createLogger('embedder', config.logLevel);
  const registry = createMetricsRegistry('embedder');
  const metrics = new EmbedderMetrics(registry);

  const runtime = await ModelRuntime.load(config.model.dir, {
    executionProviders: config.model.executionProviders,
    intraOpThreads: config.model.intraOpThreads,
    intraOpSpinning: config.model.intraOpSpinning,
    inferenceThread: config.model.inferenceThread,
    inferenceWorkers: config.model.inferenceWorkers,
    onProviderSkipped: (provider, reason) => log.warn({ provider, reason }, `execution provider ${provider} unavailable here, skipped`),
    onWorkerDied: (tower, error, replacing, workersLeft) =>
      log.error(
        { tower, err: error, workersLeft },
        replacing ? `a ${tower} inference worker died; starting a replacement` : `a ${tower} inference worker could not be replaced`,
      ),
  });
  const info = runtime.info();
  const inUse = markInUse(config.model.dir, log);
  metrics.executionProvider.set({ provider: info.executionProvider, model_id: info.modelId }, 1);
  metrics.observeInferenceWorkers((tower) => runtime.liveWorkers(tower));
  log.info(
    {
      modelId: info.modelId,
      executionProvider: info.executionProvider,
      intraOpThreads: info.intraOpThreads,
      inferenceThread: info.inferenceThread,
      inferenceWorkersPerTower: info.inferenceWorkers,
      modelDir: config.model.dir,
    },
    'model loaded',
  );

  // Everything started so far is stopped again if a later step fails (port taken, warm-up error).
  const started: (() => Promise<void>)[] = [() => runtime.close(), async () => inUse?.release()];
  const undo = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    const decoder = new SharpImageDecoder(
      config.preprocessConcurrency,
      { maxBytes: config.limits.maxEncodedImageBytes, maxPixels: config.limits.maxImagePixels },
      (seconds) => metrics.preprocessSeconds.observe(seconds),
    );
    const embeddings = new EmbeddingService(runtime, decoder, config.batching, metrics);
    const handler = new EmbedderGrpcHandler(embeddings, config.limits, metrics, log, runtime.tokenizer);

    const metricsServer = await startMetricsServer(registry, config.metricsPort, config.grpc.host);
    started.push(() => metricsServer.close());
    const server = await startGrpcServer({
      host: config.grpc.host,
      port: config.grpc.port,
      services: [{ name: EMBEDDER_SERVICE_NAME, definition: utf8CheckedEmbedderService, implementation: handler.implementation() }],
      reflectionProtos: [EMBEDDER_PROTO],
      maxReceiveMessageBytes: config.grpc.maxReceiveMessageBytes,
      maxSendMessageBytes: config.grpc.maxSendMessageBytes,
    });
    started.push(() => server.shutdown(0));

    runtime.onFatal((error) => {
      // A tower has no worker left and none could be started: fail readiness so Kubernetes restarts the pod and clients go elsewhere.
      log.fatal({ err: error }, 'inference is gone; reporting NOT_SERVING');
      server.setServing(false);
    });

    const warmStarted = performance.now();
    await runtime.warmUp(config.batching.maxBatch);
    server.setServing(true);
    log.info({ port: server.port, metricsPort: metricsServer.port, warmUpMs: Math.round(performance.now() - warmStarted) }, 'embedder serving');
    return running({ log, config, runtime, inUse, embeddings, server, metricsServer, modelId: info.modelId, executionProvider: info.executionProvider });
  } catch (error) {
    await undo();
    throw error;
  }
}

/**
 * Marks the model directory in use so `vsearch models pull --force` refuses to
 * replace it under a running embedder. A read-only model directory (a model
 * baked into an image with a read-only root filesystem) cannot be replaced
 * either, so failing to mark it is only logged.
 */
function markInUse(dir: string, log: Logger): ModelInUseMarker | undefined {
  try {
    return markModelInUse(dir);
  } catch (error) {
    log.info({ dir, reason: (error as Error).message }, 'model directory not marked in use (read-only?)');
    return undefined;
  }
}

interface RunningParts {
  log: Logger;
  config: ReturnType<typeof loadEmbedderConfig>;
  runtime: ModelRuntime;
  inUse: ModelInUseMarker | undefined;
  embeddings: EmbeddingService;
  server: RunningGrpcServer;
  metricsServer: { port: number; close(): Promise<void> };
  modelId: string;
  executionProvider: string;
}

function running({ log, config, runtime, inUse, embeddings, server, metricsServer, modelId, executionProvider }: RunningParts): RunningEmbedderService {
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    metricsPort: metricsServer.port,
    modelId,
    executionProvider,
    close() {
      closing ??= (async () => {
        server.setServing(false);
        // Queued work is finished first, so in-flight calls get their answers before the server stops.
        const drained = embeddings.drain();
        await Promise.all([drained, server.shutdown(config.grpc.shutdownGraceMs)]);
        await runtime.close();
        inUse?.release();
        await metricsServer.close();
        log.info('embedder stopped');
      })();
      return closing;
    },
  };
}
