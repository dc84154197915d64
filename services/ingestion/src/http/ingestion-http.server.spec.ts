/**
 * real: the Nest HTTP server over Express, the runner, the reindex service, the embedded event log, prom-client.
 * mock: the embedder, search and image hosts (fakes from testing/; the runner is never started, so it reports them missing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeadLetterPublisher, FileEventLog, InMemoryReindexJobStore } from '@vsearch/event-log';
import { createLogger } from '@vsearch/observability';
import { Registry } from 'prom-client';
import { loadIngestionConfig } from '../config';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { CatalogEventHandler } from '../services/catalog-event.handler';
import { CollectionHealer } from '../services/collection-healer';
import { CollectionRegistry } from '../services/collection-registry';
import { EmbedQueue } from '../services/embed-queue';
import { EmbeddingCache } from '../services/embedding-cache';
import { GenerationHistory } from '../services/generation-history';
import { ImageVectorizer } from '../services/image-vectorizer';
import { IngestionRunner } from '../services/ingestion-runner';
import { ModelTracker } from '../services/model-tracker';
import { ReindexService } from '../services/reindex.service';
import { FakeEmbedder, FakeImageSource, FakePreprocessor, FakeProductIndex } from '../testing/fakes';
import { startIngestionHttpServer, type IngestionHttpServer } from './ingestion-http.server';

const logger = createLogger('ingestion-test', 'silent');

describe(startIngestionHttpServer.name, () => {
  let dir: string;
  let eventLog: FileEventLog;
  let server: IngestionHttpServer;
  let reindex: ReindexService;
  const jobStore = new InMemoryReindexJobStore();
  let url: (route: string) => string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-http-'));
    const config = loadIngestionConfig({ DATA_DIR: dir, KAFKA_BROKERS: '' }, {});
    eventLog = new FileEventLog({ dir: path.join(dir, 'event-log'), sync: false });
    const registry = new Registry();
    const metrics = new IngestionMetrics(registry);
    const index = new FakeProductIndex();
    const embedder = new FakeEmbedder();
    const model = new ModelTracker(embedder, logger);
    const history = new GenerationHistory(jobStore, index, { generations: 1, maxAgeMs: 3_600_000 }, model.loaded);
    const collections = new CollectionRegistry(index, logger, () => history.roles());
    const vectorizer = new ImageVectorizer(
      new FakeImageSource(),
      new FakePreprocessor(),
      new EmbedQueue(embedder, metrics, { batchSize: 1, concurrency: 1 }),
      new EmbeddingCache(1),
      metrics,
      { fetchConcurrency: 1, fetchAttempts: 1, fetchRetryBaseMs: 1, fetchRetryMaxMs: 1, preprocessConcurrency: 1 },
      logger,
    );
    const handler = new CatalogEventHandler(
      index,
      vectorizer,
      new DeadLetterPublisher(eventLog, config.topics.deadLetters),
      { targets: () => collections.current.targets, problem: () => collections.current.problem },
      model.current,
      metrics,
      { eventsPerChunk: 1, dependencyRetryBaseMs: 1, dependencyRetryMaxMs: 1 },
      logger,
    );
    reindex = new ReindexService(
      index,
      eventLog,
      handler,
      collections,
      model.current,
      metrics,
      {
        productsTopic: config.topics.products,
        settleMs: 0,
        eventsPerChunk: 1,
        retryBaseMs: 1,
        retryMaxMs: 1,
        catalogSample: 0,
        replicaId: 'replica-a',
        progressWriteMs: 0,
        heartbeatMs: 1_000,
        stalledAfterMs: 5_000,
      },
      logger,
      jobStore,
      history,
      undefined,
    );
    const runner = new IngestionRunner(config, eventLog, model, collections, handler, reindex, metrics, logger);
    metrics.events.inc({ outcome: 'indexed' });
    const healer = new CollectionHealer(index, reindex, model.current, metrics, { checkMs: 60_000, abandonedAfterChecks: 1 }, logger);
    server = await startIngestionHttpServer({ runner, reindex, healer, history, registry }, { host: '127.0.0.1', port: 0 });
    url = (route) => `http://127.0.0.1:${server.port}${route}`;
  });

  afterAll(async () => {
    await server?.close();
    await eventLog?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the liveness probe', async () => {
    const response = await fetch(url('/healthz'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers the readiness probe with 503 naming the dependencies that have not answered', async () => {
    const response = await fetch(url('/readyz'));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'not_ready', ready: false, missing: ['event-log', 'embedder', 'search'] });
  });

  it('exposes the metrics registry in the Prometheus text format', async () => {
    const response = await fetch(url('/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toMatch(/ingestion_events_total\{outcome="indexed"\} 1/);
  });

  it('serves the progress of any reindex job the job store records (whichever replica runs it), and 404 for any other', async () => {
    await jobStore.put({ jobId: 'job-1', state: 'running', total: 9, done: 4, collection: 'products_v2', replicaId: 'replica-b' });
    const known = await fetch(url('/internal/reindex/job-1'));
    expect(known.status).toBe(200);
    expect(await known.json()).toMatchObject({ jobId: 'job-1', state: 'running', total: 9, done: 4, replicaId: 'replica-b' });
    const unknown = await fetch(url('/internal/reindex/job-2'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('serves the self-heal state', async () => {
    const response = await fetch(url('/internal/heal'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ enabled: true, state: 'idle' });
  });
});
