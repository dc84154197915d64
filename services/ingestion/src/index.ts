/**
 * The ingestion service's composition root: consumes `catalog.products.v1` (Kafka, or the
 * embedded event log when KAFKA_BROKERS is unset), turns each event into vector-store writes
 * through the embedder and search, dead-letters what cannot be indexed, runs reindex jobs, and
 * serves probes, metrics and reindex progress over HTTP (INGESTION_PORT). This is the one place
 * that builds objects: config → adapters (all I/O) → logic → HTTP → start. `close()` stops
 * consuming without committing in-flight work and disconnects, in the reverse order.
 *
 * Dependencies run one way (no forward references): ModelTracker and CollectionRegistry read the
 * embedder and search; the CatalogEventHandler writes through them; the ReindexService replays
 * through the handler; the IngestionRunner drives them all; the CollectionHealer watches the live
 * collection and rebuilds it through the ReindexService when search reports it damaged.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { createEventLog, DeadLetterPublisher, EventLogReindexJobStore, GoldenQueryLog, type EventLog } from '@vsearch/event-log';
import { createLogger, createMetricsRegistry, type Logger } from '@vsearch/observability';
import { DecodeAdmissionGate } from '@vsearch/preprocessing';
import { EventLogGoldenQuerySource } from './adapters/event-log.golden-query-source';
import { GrpcGenerationSearcher } from './adapters/grpc.generation-searcher';
import { GrpcImageDescriber } from './adapters/grpc.image-describer';
import { GrpcImageEmbedder } from './adapters/grpc.image-embedder';
import { GrpcProductIndexWriter } from './adapters/grpc.product-index-writer';
import { SafeFetchImageSource } from './adapters/safe-fetch.image-source';
import { SharpImagePreprocessor } from './adapters/sharp.image-preprocessor';
import { loadIngestionConfig, type IngestionConfigOverrides } from './config';
import { startIngestionHttpServer } from './http/ingestion-http.server';
import { IngestionMetrics } from './metrics/ingestion.metrics';
import type { ProductIndexWriter } from './ports';
import { CatalogEventHandler } from './services/catalog-event.handler';
import { CollectionHealer } from './services/collection-healer';
import { CollectionRegistry } from './services/collection-registry';
import { EmbedQueue } from './services/embed-queue';
import { EmbeddingCache, loadEmbeddingCache, saveEmbeddingCache } from './services/embedding-cache';
import { GenerationGates } from './services/generation-gates';
import { GenerationHistory } from './services/generation-history';
import { GenerationSweeper } from './services/generation-sweeper';
import { ImageVectorizer } from './services/image-vectorizer';
import { AltTextWriter } from './services/alt-text.service';
import { IngestionRunner, type Readiness } from './services/ingestion-runner';
import { ModelTracker } from './services/model-tracker';
import { ReindexService } from './services/reindex.service';
import { LoadedModelQueryEmbedder } from './services/loaded-model.query-embedder';

export { loadIngestionConfig, ingestionEnvSchema, type IngestionConfig, type IngestionConfigOverrides, type IngestionEnv } from './config';
export type { ReindexJob, ReindexJobState } from './services/reindex.service';
export type { Readiness } from './services/ingestion-runner';
export { publishCatalogFile, createEventLog } from '@vsearch/event-log';

/**
 * Adapters a test builds itself instead (a fault-injecting subclass of the real one, to make one
 * product trip a bug); production passes none.
 */
export interface IngestionAdapterFactories {
  /** The search adapter, given search's address. */
  productIndex?: (searchAddress: string) => ProductIndexWriter;
}

export interface RunningIngestionService {
  port: number;
  /** The event log this instance consumes (embedded or Kafka), e.g. for the CLI to feed a catalog into. */
  eventLog: EventLog;
  readiness(): Readiness;
  close(): Promise<void>;
}

export async function startIngestionService(
  overrides: IngestionConfigOverrides = {},
  logger?: Logger,
  adapters: IngestionAdapterFactories = {},
): Promise<RunningIngestionService> {
  const config = loadIngestionConfig(overrides);
  const log = logger ?? createLogger('ingestion', config.logLevel);
  const registry = createMetricsRegistry('ingestion');
  const metrics = new IngestionMetrics(registry);

  // Adapters: every piece of I/O (the event log, the embedder, search, image hosts, the decoder).
  const eventLog = createEventLog({
    brokers: config.eventLog.brokers,
    dataDir: config.eventLog.dataDir,
    clientId: config.eventLog.clientId,
    ssl: config.eventLog.ssl,
    sasl: config.eventLog.sasl,
    log: (level, message, extra) => log[level](extra, message),
  });
  const deadLetters = new DeadLetterPublisher(eventLog, config.topics.deadLetters);
  // Every replica reads every job record (its own consumer group), so any of them answers for any job.
  const jobStore = new EventLogReindexJobStore(eventLog, {
    topic: config.topics.reindexJobs,
    groupPrefix: config.eventLog.consumerGroup,
    warn: (fields, message) => log.warn(fields, message),
  });
  jobStore.start();
  const embedder = new GrpcImageEmbedder(config.embedderAddress, config.pipeline.embedDeadlineMs);
  const describer = config.describer && new GrpcImageDescriber(config.describer.address, config.describer.deadlineMs);
  const index = adapters.productIndex?.(config.searchAddress) ?? new GrpcProductIndexWriter(config.searchAddress);
  const searcher = new GrpcGenerationSearcher(config.searchAddress);
  const goldenQueries = new EventLogGoldenQuerySource(new GoldenQueryLog(eventLog, config.topics.goldenQueries));
  const images = new SafeFetchImageSource({
    allowHosts: config.fetch.allowHosts,
    timeoutMs: config.fetch.timeoutMs,
    maxBytes: config.fetch.maxBytes,
    maxRedirects: config.fetch.maxRedirects,
    maxSocketsPerHost: config.fetch.concurrency,
  });
  // Waits, never refuses: PREPROCESS_CONCURRENCY decodes at once, which main.ts sizes the thread pool for.
  const preprocessor = new SharpImagePreprocessor(new DecodeAdmissionGate({ concurrency: config.pipeline.preprocessConcurrency, queueLimit: Infinity }));

  // Logic: what the embedder runs and where writes go, images to vectors, events to writes, reindex jobs.
  const model = new ModelTracker(embedder, log);
  const history = new GenerationHistory(jobStore, index, config.retention, model.loaded);
  const collections = new CollectionRegistry(index, log, () => history.roles());
  const cache = new EmbeddingCache(config.pipeline.embeddingCacheSize);
  const cacheFile = config.pipeline.embeddingCacheFile;
  if (cacheFile) {
    const loaded = await loadEmbeddingCache(cache, cacheFile);
    if (loaded > 0) log.info({ entries: loaded, file: cacheFile }, 'embedding cache loaded');
  }
  const queue = new EmbedQueue(embedder, metrics, {
    batchSize: config.pipeline.embedBatch,
    concurrency: config.pipeline.embedConcurrency,
    maxWaitMs: config.pipeline.embedMaxWaitMs,
  });
  const vectorizer = new ImageVectorizer(
    images,
    preprocessor,
    queue,
    cache,
    metrics,
    {
      fetchConcurrency: config.fetch.concurrency,
      fetchAttempts: config.fetch.attempts,
      fetchRetryBaseMs: config.fetch.retryBaseMs,
      fetchRetryMaxMs: config.fetch.retryMaxMs,
      preprocessConcurrency: config.pipeline.preprocessConcurrency,
    },
    log,
    describer && new AltTextWriter(describer, preprocessor, { cacheSize: config.describer.cacheSize }, log),
  );
  const handler = new CatalogEventHandler(
    index,
    vectorizer,
    deadLetters,
    { targets: () => collections.current.targets, problem: () => collections.current.problem, modelOf: (target) => collections.modelOf(target) },
    model.current,
    metrics,
    {
      eventsPerChunk: config.pipeline.eventsPerChunk,
      dependencyRetryBaseMs: config.pipeline.dependencyRetryBaseMs,
      dependencyRetryMaxMs: config.pipeline.dependencyRetryMaxMs,
      poisonEvents: config.pipeline.poisonEvents,
    },
    log,
  );
  const reindex = new ReindexService(
    index,
    eventLog,
    handler,
    collections,
    model.current,
    metrics,
    {
      productsTopic: config.topics.products,
      settleMs: config.collectionsRefreshMs * 2,
      eventsPerChunk: config.pipeline.eventsPerChunk,
      retryBaseMs: config.pipeline.dependencyRetryBaseMs,
      retryMaxMs: config.pipeline.dependencyRetryMaxMs,
      catalogSample: config.gates?.catalogSample ?? 0,
      // Unique per process: a restarted pod is another runner of the job than the one that stopped.
      replicaId: `${os.hostname()}-${randomUUID().slice(0, 8)}`,
      progressWriteMs: 1_000,
      heartbeatMs: config.reindexJobs.heartbeatMs,
      stalledAfterMs: config.reindexJobs.stalledAfterMs,
    },
    log,
    jobStore,
    history,
    config.gates
      ? new GenerationGates(index, searcher, new LoadedModelQueryEmbedder(embedder, vectorizer, model.byId), goldenQueries, config.gates, log)
      : undefined,
    model.byId,
  );
  const runner = new IngestionRunner(config, eventLog, model, collections, handler, reindex, metrics, log);
  const healer = config.heal ? new CollectionHealer(index, reindex, model.current, metrics, config.heal, log, () => history.roles()) : undefined;
  const sweeper = new GenerationSweeper(history, index, reindex, config.retention.sweepMs, log);

  // Transport, then start: probes answer (not ready) before the first dependency round.
  const http = await startIngestionHttpServer({ runner, reindex, healer, history, registry }, config.http);
  await runner.start();
  healer?.start();
  sweeper.start();
  log.info(
    { port: http.port, eventLog: eventLog.kind, embedder: config.embedderAddress, search: config.searchAddress, readiness: runner.readiness() },
    'ingestion started',
  );

  let closing: Promise<void> | undefined;
  return {
    port: http.port,
    eventLog,
    readiness: () => runner.readiness(),
    close() {
      closing ??= (async () => {
        // The healer first: its check must not start a heal while the runner stops the reindex service.
        const healerStopped = healer?.stop();
        const sweeperStopped = sweeper.stop();
        await runner.close();
        await healerStopped;
        await sweeperStopped;
        await jobStore.close();
        if (cacheFile && cache.size > 0) {
          await saveEmbeddingCache(cache, cacheFile).catch((error: unknown) => log.warn({ err: error, file: cacheFile }, 'embedding cache not saved'));
        }
        await eventLog.close();
        await http.close();
        images.close();
        embedder.close();
        describer?.close();
        index.close();
        searcher.close();
        log.info('ingestion stopped');
      })();
      return closing;
    },
  };
}
