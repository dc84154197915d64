import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileEventLog, type DeadLetterPublisher } from '@vsearch/event-log';
import { createLogger } from '@vsearch/observability';
import { Registry } from 'prom-client';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { PRODUCTS_ALIAS } from '../ports';
import { FAKE_MODEL, FakeDeadLetters, FakeEmbedder, FakeImageSource, FakePreprocessor, FakeProductIndex, upserted } from '../testing/fakes';
import { CatalogEventHandler } from './catalog-event.handler';
import { CollectionRegistry } from './collection-registry';
import { EmbedQueue } from './embed-queue';
import { EmbeddingCache } from './embedding-cache';
import { ImageVectorizer } from './image-vectorizer';
import { ReindexService } from './reindex.service';

const logger = createLogger('ingestion-test', 'silent');

describe(ReindexService.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'reindex-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function setUp() {
    const log = new FileEventLog({ dir, sync: false });
    const index = new FakeProductIndex();
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
    const reindex = new ReindexService(index, log, handler, registry, () => FAKE_MODEL, metrics, { productsTopic: 'products', settleMs: 0, eventsPerChunk: 4, retryBaseMs: 1, retryMaxMs: 5 }, logger);
    return { log, index, source, registry, reindex };
  }

  it('rebuilds the catalog into a new generation, swaps the alias and drops the old one', async () => {
    const t = await setUp();
    const events = ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => {
      t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      return { key: id, value: JSON.stringify(upserted(id, 1, [{ id: `${id}-1`, url: `http://img/${id}.jpg` }], { categories: id === 'p5' ? ['men', 'shirts'] : ['women', 'dresses'] })) };
    });
    await t.log.publish('products', [...events, { key: 'bad', value: '{oops' }]);
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-1', requestedAt: new Date().toISOString() });
    expect(job).toMatchObject({ jobId: 'job-1', state: 'done', total: 6, done: 6, collection: 'products_v2', previousCollection: 'products_v1' });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v2');
    expect(t.index.collections.has('products_v1')).toBe(false);
    expect([...t.index.products(PRODUCTS_ALIAS).keys()].sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(t.reindex.getJob('job-1')?.finishedAt).toEqual(expect.any(String));
    expect(t.registry.current.targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('applies the category filter', async () => {
    const t = await setUp();
    t.source.images.set('http://img/a.jpg', Buffer.from('a'));
    t.source.images.set('http://img/b.jpg', Buffer.from('b'));
    await t.log.publish('products', [
      { key: 'a', value: JSON.stringify(upserted('a', 1, [{ id: 'a1', url: 'http://img/a.jpg' }], { categories: ['men', 'shirts'] })) },
      { key: 'b', value: JSON.stringify(upserted('b', 1, [{ id: 'b1', url: 'http://img/b.jpg' }])) },
    ]);
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-2', filter: { categories: ['shirts'] }, requestedAt: new Date().toISOString() });
    expect(job.state).toBe('done');
    expect([...t.index.products(PRODUCTS_ALIAS).keys()]).toEqual(['a']);
  });

  it('waits through a search outage instead of failing', async () => {
    const t = await setUp();
    t.source.images.set('http://img/a.jpg', Buffer.from('a'));
    await t.log.publish('products', [{ key: 'a', value: JSON.stringify(upserted('a', 1, [{ id: 'a1', url: 'http://img/a.jpg' }])) }]);
    t.index.down = true;
    setTimeout(() => (t.index.down = false), 50);
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-3', requestedAt: new Date().toISOString() });
    expect(job.state).toBe('done');
    expect(t.index.products(PRODUCTS_ALIAS).has('a')).toBe(true);
  });

  it('reports an unknown job as undefined and does not run a finished job again', async () => {
    const t = await setUp();
    expect(t.reindex.getJob('nope')).toBeUndefined();
    const request = { type: 'reindex.requested' as const, jobId: 'job-4', requestedAt: new Date().toISOString() };
    await t.reindex.run(request);
    const again = await t.reindex.run(request);
    expect(again.collection).toBe('products_v2');
    expect(t.index.collections.size).toBe(1);
  });
});
