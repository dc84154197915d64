/**
 * The embedder's composition root, the one place that wires it: loads and
 * warms the model, builds the image decoder, the embedding service and the
 * gRPC handler with `new`, serves visualsearch.embedder.v1.EmbedderService
 * over gRPC (health turns SERVING only after warm-up) and Prometheus metrics
 * over HTTP. `close()` stops taking calls, finishes queued batches and
 * releases the model.
 */
import { DescriberRuntime, markModelInUse, ModelRuntime, type ModelInUseMarker } from '@vsearch/model';
import { createLogger, createMetricsRegistry, startMetricsServer, type Logger } from '@vsearch/observability';
import { DESCRIBER_PROTO, describerV1, EMBEDDER_PROTO } from '@vsearch/proto';
import { startGrpcServer, type GrpcServiceBinding, type RunningGrpcServer } from '@vsearch/grpc-kit';
import { SharpImageDecoder } from './adapters/sharp.image-decoder';
import { loadEmbedderConfig, type EmbedderConfigOverrides } from './config';
import { DescriberGrpcHandler } from './grpc/describer.grpc-handler';
import { EmbedderGrpcHandler } from './grpc/embedder.grpc-handler';
import { utf8CheckedEmbedderService } from './grpc/utf8-checked.definition';
import { DescriberMetrics } from './metrics/describer.metrics';
import { EmbedderMetrics } from './metrics/embedder.metrics';
import { DescriberService } from './services/describer.service';
import { EmbeddingService } from './services/embedding.service';

export { loadEmbedderConfig, embedderEnvSchema, type EmbedderConfig, type EmbedderConfigOverrides, type EmbedderEnv } from './config';

export const EMBEDDER_SERVICE_NAME = 'visualsearch.embedder.v1.EmbedderService';
export const DESCRIBER_SERVICE_NAME = 'visualsearch.describer.v1.DescriberService';

export interface RunningEmbedderService {
  port: number;
  metricsPort: number;
  modelId: string;
  executionProvider: string;
  /** The describer's model id; undefined when the describer is off. */
  describerModelId: string | undefined;
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
    const services: GrpcServiceBinding[] = [{ name: EMBEDDER_SERVICE_NAME, definition: utf8CheckedEmbedderService, implementation: handler.implementation() }];
    const reflectionProtos = [EMBEDDER_PROTO];

    let describer: { runtime: DescriberRuntime; service: DescriberService } | undefined;
    if (config.describer) {
      const describerMetrics = new DescriberMetrics(registry, metrics.errors);
      const describerRuntime = await DescriberRuntime.load(config.describer.modelDir, {
        executionProviders: [info.executionProvider],
        intraOpThreads: config.describer.intraOpThreads,
        onProviderSkipped: (provider, reason) => log.warn({ provider, reason }, `execution provider ${provider} unavailable to the describer, skipped`),
        onWorkerDied: (error, replacing, workersLeft) =>
          log.error(
            { err: error, workersLeft },
            replacing ? 'the describer inference worker died; starting a replacement' : 'the describer inference worker could not be replaced',
          ),
        onDecoderCall: (kind, rows) => describerMetrics.observeDecoderCall(kind, rows),
      });
      started.push(() => describerRuntime.close());
      const service = new DescriberService(describerRuntime, config.describer.batching, config.describer.limits, describerMetrics.batcherHooks());
      describer = { runtime: describerRuntime, service };
      const describerHandler = new DescriberGrpcHandler(service, config.describer.limits, describerMetrics, log);
      services.push({ name: DESCRIBER_SERVICE_NAME, definition: describerV1.DescriberServiceService, implementation: describerHandler.implementation() });
      reflectionProtos.push(DESCRIBER_PROTO);
      log.info({ modelId: describerRuntime.info().modelId, modelDir: config.describer.modelDir }, 'describer loaded');
    }

    const metricsServer = await startMetricsServer(registry, config.metricsPort, config.grpc.host);
    started.push(() => metricsServer.close());
    const server = await startGrpcServer({
      host: config.grpc.host,
      port: config.grpc.port,
      services,
      reflectionProtos,
      maxReceiveMessageBytes: config.grpc.maxReceiveMessageBytes,
      maxSendMessageBytes: config.grpc.maxSendMessageBytes,
    });
    started.push(() => server.shutdown(0));

    const onInferenceLost = (error: Error) => {
      // A tower has no worker left and none could be started: fail readiness so Kubernetes restarts the pod and clients go elsewhere.
      log.fatal({ err: error }, 'inference is gone; reporting NOT_SERVING');
      server.setServing(false);
    };
    runtime.onFatal(onInferenceLost);
    // A describer that is gone takes only its own service out: embeddings (the search path) keep serving here,
    // and describer clients see UNAVAILABLE and NOT_SERVING for DescriberService and go to another pod.
    describer?.runtime.onFatal((error) => {
      log.fatal({ err: error }, 'describer inference is gone; reporting DescriberService NOT_SERVING');
      server.setStatus(DESCRIBER_SERVICE_NAME, 'NOT_SERVING');
    });

    const warmStarted = performance.now();
    await runtime.warmUp(config.batching.maxBatch);
    await describer?.runtime.warmUp();
    server.setServing(true);
    log.info({ port: server.port, metricsPort: metricsServer.port, warmUpMs: Math.round(performance.now() - warmStarted) }, 'embedder serving');
    const { modelId, executionProvider } = info;
    return running({ log, config, runtime, inUse, embeddings, describer, server, metricsServer, modelId, executionProvider });
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
  describer: { runtime: DescriberRuntime; service: DescriberService } | undefined;
  server: RunningGrpcServer;
  metricsServer: { port: number; close(): Promise<void> };
  modelId: string;
  executionProvider: string;
}

function running(parts: RunningParts): RunningEmbedderService {
  const { log, config, runtime, inUse, embeddings, describer, server, metricsServer, modelId, executionProvider } = parts;
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    metricsPort: metricsServer.port,
    modelId,
    executionProvider,
    describerModelId: describer?.runtime.info().modelId,
    close() {
      closing ??= (async () => {
        server.setServing(false);
        // Queued work is finished first, so in-flight calls get their answers before the server stops.
        const drained = Promise.all([embeddings.drain(), describer?.service.drain()]);
        await Promise.all([drained, server.shutdown(config.grpc.shutdownGraceMs)]);
        await runtime.close();
        await describer?.runtime.close();
        inUse?.release();
        await metricsServer.close();
        log.info('embedder stopped');
      })();
      return closing;
    },
  };
}
