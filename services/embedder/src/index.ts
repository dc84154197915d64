/**
 * The embedder's composition root, the one place that wires it: loads and
 * warms the model (and, during a rollout, ROLLOUT_MODEL_DIR's beside it, each
 * with its own sessions, inference workers and batchers), builds the image decoder, the embedding service and the
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
import { loadEmbedderConfig, type EmbedderConfig, type EmbedderConfigOverrides } from './config';
import { DescriberGrpcHandler } from './grpc/describer.grpc-handler';
import { EmbedderGrpcHandler } from './grpc/embedder.grpc-handler';
import { utf8CheckedEmbedderService } from './grpc/utf8-checked.definition';
import { DescriberMetrics } from './metrics/describer.metrics';
import { EmbedderMetrics } from './metrics/embedder.metrics';
import { DescriberService } from './services/describer.service';
import { EmbeddingService } from './services/embedding.service';
import { LoadedModels } from './services/loaded-models';

export { loadEmbedderConfig, embedderEnvSchema, type EmbedderConfig, type EmbedderConfigOverrides, type EmbedderEnv } from './config';

export const EMBEDDER_SERVICE_NAME = 'visualsearch.embedder.v1.EmbedderService';
export const DESCRIBER_SERVICE_NAME = 'visualsearch.describer.v1.DescriberService';

export interface RunningEmbedderService {
  port: number;
  metricsPort: number;
  /** The default (serving) model. */
  modelId: string;
  /** Every loaded model, the default first (a rollout model second). */
  modelIds: string[];
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

  // Everything started so far is stopped again if a later step fails (port taken, warm-up error).
  const started: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    const runtimes: ModelRuntime[] = [];
    // The serving model first (requests naming no model get it), then the rollout model beside it.
    for (const dir of [config.model.dir, ...(config.model.rolloutDir ? [config.model.rolloutDir] : [])]) {
      const runtime = await loadRuntime(dir, config, log);
      started.push(() => runtime.close());
      const inUse = markInUse(dir, log);
      started.push(async () => inUse?.release());
      runtimes.push(runtime);
    }
    const [runtime] = runtimes;
    const info = runtime.info();
    for (const loaded of runtimes) metrics.executionProvider.set({ provider: loaded.info().executionProvider, model_id: loaded.info().modelId }, 1);
    metrics.observeInferenceWorkers((tower) => runtime.liveWorkers(tower));

    const decoder = new SharpImageDecoder(
      config.preprocessConcurrency,
      { maxBytes: config.limits.maxEncodedImageBytes, maxPixels: config.limits.maxImagePixels },
      (seconds) => metrics.preprocessSeconds.observe(seconds),
    );
    const models = new LoadedModels(runtimes.map((loaded) => new EmbeddingService(loaded, decoder, config.batching, metrics)));
    // Unknown words are judged by the serving model's tokenizer (label prompts are checked for the model shoppers search with).
    const handler = new EmbedderGrpcHandler(models, config.limits, metrics, log, runtime.tokenizer);
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

    for (const loaded of runtimes) {
      loaded.onFatal((error) => {
        // A tower has no worker left and none could be started: fail readiness so Kubernetes restarts the pod and clients go elsewhere.
        log.fatal({ err: error, modelId: loaded.info().modelId }, 'inference is gone; reporting NOT_SERVING');
        server.setServing(false);
      });
    }

    // A describer that is gone takes only its own service out: embeddings (the search path) keep serving here,
    // and describer clients see UNAVAILABLE and NOT_SERVING for DescriberService and go to another pod.
    describer?.runtime.onFatal((error) => {
      log.fatal({ err: error }, 'describer inference is gone; reporting DescriberService NOT_SERVING');
      server.setStatus(DESCRIBER_SERVICE_NAME, 'NOT_SERVING');
    });

    const warmStarted = performance.now();
    for (const loaded of runtimes) await loaded.warmUp(config.batching.maxBatch);
    await describer?.runtime.warmUp();
    server.setServing(true);
    log.info(
      { port: server.port, metricsPort: metricsServer.port, models: models.ids(), warmUpMs: Math.round(performance.now() - warmStarted) },
      'embedder serving',
    );
    return running({
      log,
      config,
      models,
      stopModels: started.slice(0, 2 * runtimes.length),
      server,
      metricsServer,
      modelId: info.modelId,
      modelIds: models.ids(),
      executionProvider: info.executionProvider,
      describer,
    });
  } catch (error) {
    await undo();
    throw error;
  }
}

/** Loads one model directory's sessions and inference pools (each model gets its own, with the same settings). */
async function loadRuntime(dir: string, config: EmbedderConfig, log: Logger): Promise<ModelRuntime> {
  const runtime = await ModelRuntime.load(dir, {
    executionProviders: config.model.executionProviders,
    intraOpThreads: config.model.intraOpThreads,
    inferenceThread: config.model.inferenceThread,
    intraOpSpinning: config.model.intraOpSpinning,
    inferenceWorkers: config.model.inferenceWorkers,
    latencyWorkerThreads: config.model.latencyWorkerThreads,
    onProviderSkipped: (provider, reason) => log.warn({ provider, reason }, `execution provider ${provider} unavailable here, skipped`),
    onWorkerDied: (tower, error, replacing, workersLeft) =>
      log.error(
        { tower, err: error, workersLeft, modelDir: dir },
        replacing ? `a ${tower} inference worker died; starting a replacement` : `a ${tower} inference worker could not be replaced`,
      ),
  });
  const info = runtime.info();
  log.info(
    {
      modelId: info.modelId,
      executionProvider: info.executionProvider,
      intraOpThreads: info.intraOpThreads,
      inferenceThread: info.inferenceThread,
      inferenceWorkersPerTower: info.inferenceWorkers,
      latencyWorkerThreads: info.latencyWorkerThreads,
      modelDir: dir,
    },
    'model loaded',
  );
  return runtime;
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
  config: EmbedderConfig;
  models: LoadedModels;
  /** Closes the runtimes and releases their in-use markers, in the order they were started. */
  stopModels: (() => Promise<void>)[];
  describer: { runtime: DescriberRuntime; service: DescriberService } | undefined;
  server: RunningGrpcServer;
  metricsServer: { port: number; close(): Promise<void> };
  modelId: string;
  modelIds: string[];
  executionProvider: string;
}

function running({
  log,
  config,
  models,
  stopModels,
  server,
  metricsServer,
  modelId,
  modelIds,
  executionProvider,
  describer,
}: RunningParts): RunningEmbedderService {
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    metricsPort: metricsServer.port,
    modelId,
    modelIds,
    executionProvider,
    describerModelId: describer?.runtime.info().modelId,
    close() {
      closing ??= (async () => {
        server.setServing(false);
        // Queued work is finished first, so in-flight calls get their answers before the server stops.
        const drained = Promise.all([models.drain(), describer?.service.drain()]);
        await Promise.all([drained, server.shutdown(config.grpc.shutdownGraceMs)]);
        for (const stop of stopModels) await stop();
        await describer?.runtime.close();
        await metricsServer.close();
        log.info('embedder stopped');
      })();
      return closing;
    },
  };
}
