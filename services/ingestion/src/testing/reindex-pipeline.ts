/**
 * The ingestion pipeline a reindex or heal test needs, built once: the real embedded event log,
 * CatalogEventHandler, CollectionRegistry and ReindexService over fake search, embedder, image hosts
 * and decoder (testing/fakes.ts). Never imported by production code.
 */
import { FileEventLog, InMemoryReindexJobStore, type DeadLetterPublisher } from '@vsearch/event-log';
import type { Logger } from '@vsearch/observability';
import { Registry } from 'prom-client';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { CatalogEventHandler } from '../services/catalog-event.handler';
import { CollectionRegistry } from '../services/collection-registry';
import { EmbedQueue } from '../services/embed-queue';
import { EmbeddingCache } from '../services/embedding-cache';
import { ImageVectorizer } from '../services/image-vectorizer';
import { ReindexService } from '../services/reindex.service';
import { FAKE_MODEL, FakeDeadLetters, FakeEmbedder, FakeImageSource, FakePreprocessor, FakeProductIndex } from './fakes';

export interface ReindexPipeline {
  log: FileEventLog;
  index: FakeProductIndex;
  embedder: FakeEmbedder;
  source: FakeImageSource;
  metrics: IngestionMetrics;
  registry: CollectionRegistry;
  handler: CatalogEventHandler;
  reindex: ReindexService;
  jobStore: InMemoryReindexJobStore;
  /** What the live consumer does: every event published so far, handled into the current targets. */
  indexLive(): Promise<unknown>;
}

/** Builds the pipeline over an event log in `dir` (topic `products`), bootstrapped with FAKE_MODEL. */
export async function buildReindexPipeline(dir: string, logger: Logger, index = new FakeProductIndex()): Promise<ReindexPipeline> {
  const log = new FileEventLog({ dir, sync: false });
  const embedder = new FakeEmbedder();
  const source = new FakeImageSource();
  const metrics = new IngestionMetrics(new Registry());
  const vectorizer = new ImageVectorizer(
    source,
    new FakePreprocessor(),
    new EmbedQueue(embedder, metrics, { batchSize: 8, concurrency: 2, maxWaitMs: 1 }),
    new EmbeddingCache(100),
    metrics,
    { fetchConcurrency: 4, fetchAttempts: 1, fetchRetryBaseMs: 1, fetchRetryMaxMs: 1, preprocessConcurrency: 2 },
    logger,
  );
  const registry = new CollectionRegistry(index, logger);
  await registry.bootstrap(FAKE_MODEL);
  const handler = new CatalogEventHandler(
    index,
    vectorizer,
    new FakeDeadLetters() as unknown as DeadLetterPublisher,
    { targets: () => registry.current.targets, problem: () => registry.current.problem },
    () => FAKE_MODEL,
    metrics,
    { eventsPerChunk: 4, dependencyRetryBaseMs: 1, dependencyRetryMaxMs: 5 },
    logger,
  );
  const jobStore = new InMemoryReindexJobStore();
  const reindex = new ReindexService(
    index,
    log,
    handler,
    registry,
    () => FAKE_MODEL,
    metrics,
    {
      productsTopic: 'products',
      settleMs: 0,
      eventsPerChunk: 4,
      retryBaseMs: 1,
      retryMaxMs: 5,
      replicaId: 'replica-under-test',
      progressWriteMs: 0,
      heartbeatMs: 10,
      stalledAfterMs: 1_000,
    },
    logger,
    jobStore,
  );
  const indexLive = () => log.replayTopic('products', async (batch) => void (await handler.handleChunk(batch.messages, registry.current.targets)));
  return { log, index, embedder, source, metrics, registry, handler, reindex, jobStore, indexLive };
}
