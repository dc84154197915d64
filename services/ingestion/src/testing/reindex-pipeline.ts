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
import { GenerationGates, type GateSettings } from '../services/generation-gates';
import { GenerationHistory, type RetentionPolicy } from '../services/generation-history';
import { ReindexService } from '../services/reindex.service';
import { LoadedModelQueryEmbedder } from '../services/loaded-model.query-embedder';
import {
  FAKE_MODEL,
  FakeDeadLetters,
  FakeEmbedder,
  FakeGenerationSearcher,
  FakeGoldenQueries,
  FakeImageSource,
  FakePreprocessor,
  FakeProductIndex,
} from './fakes';

export interface ReindexPipelineOptions {
  /** The swap gates (GATES_ENABLED); absent: a rebuild swaps once filled. */
  gates?: GateSettings;
  retention?: RetentionPolicy;
  /** The clock of the generation history (retention). */
  now?: () => number;
}

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
  history: GenerationHistory;
  golden: FakeGoldenQueries;
  searcher: FakeGenerationSearcher;
  /** What the live consumer does: every event published so far, handled into the current targets. */
  indexLive(): Promise<unknown>;
}

/** An ImageVectorizer over the fake image host, decoder and embedder, with small limits. */
export function fakeVectorizer(source: FakeImageSource, embedder: FakeEmbedder, metrics: IngestionMetrics, logger: Logger): ImageVectorizer {
  return new ImageVectorizer(
    source,
    new FakePreprocessor(),
    new EmbedQueue(embedder, metrics, { batchSize: 8, concurrency: 2, maxWaitMs: 1 }),
    new EmbeddingCache(100),
    metrics,
    { fetchConcurrency: 4, fetchAttempts: 1, fetchRetryBaseMs: 1, fetchRetryMaxMs: 1, preprocessConcurrency: 2 },
    logger,
  );
}

/** Builds the pipeline over an event log in `dir` (topic `products`), bootstrapped with FAKE_MODEL. */
export async function buildReindexPipeline(
  dir: string,
  logger: Logger,
  index = new FakeProductIndex(),
  options: ReindexPipelineOptions = {},
): Promise<ReindexPipeline> {
  const log = new FileEventLog({ dir, sync: false });
  const embedder = new FakeEmbedder();
  const source = new FakeImageSource();
  const metrics = new IngestionMetrics(new Registry());
  const vectorizer = fakeVectorizer(source, embedder, metrics, logger);
  const jobStore = new InMemoryReindexJobStore();
  const history = new GenerationHistory(
    jobStore,
    index,
    options.retention ?? { generations: 1, maxAgeMs: 24 * 3_600_000 },
    () => [FAKE_MODEL, ...embedder.rolloutModels],
    options.now,
  );
  const golden = new FakeGoldenQueries();
  const searcher = new FakeGenerationSearcher(index);
  const registry = new CollectionRegistry(index, logger, () => history.roles());
  await registry.bootstrap(FAKE_MODEL);
  const handler = new CatalogEventHandler(
    index,
    vectorizer,
    new FakeDeadLetters() as unknown as DeadLetterPublisher,
    { targets: () => registry.current.targets, problem: () => registry.current.problem, modelOf: (target) => registry.modelOf(target) },
    () => FAKE_MODEL,
    metrics,
    { eventsPerChunk: 4, dependencyRetryBaseMs: 1, dependencyRetryMaxMs: 5 },
    logger,
  );
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
      catalogSample: options.gates?.catalogSample ?? 0,
      replicaId: 'replica-under-test',
      progressWriteMs: 0,
      heartbeatMs: 10,
      stalledAfterMs: 1_000,
    },
    logger,
    jobStore,
    history,
    options.gates
      ? new GenerationGates(
          index,
          searcher,
          new LoadedModelQueryEmbedder(embedder, vectorizer, (modelId) => [FAKE_MODEL, ...embedder.rolloutModels].find((model) => model.modelId === modelId)),
          golden,
          options.gates,
          logger,
        )
      : undefined,
    (modelId) => embedder.rolloutModels.find((model) => model.modelId === modelId),
  );
  const indexLive = () => log.replayTopic('products', async (batch) => void (await handler.handleChunk(batch.messages, registry.current.targets)));
  return { log, index, embedder, source, metrics, registry, handler, reindex, jobStore, history, golden, searcher, indexLive };
}

/** The state of every record written to `jobStore` from now on, in order. */
export function recordedStates(jobStore: InMemoryReindexJobStore): string[] {
  const states: string[] = [];
  const put = jobStore.put.bind(jobStore);
  jobStore.put = async (job) => {
    states.push(job.state);
    await put(job);
  };
  return states;
}
