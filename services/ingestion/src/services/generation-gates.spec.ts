/**
 * real: the embedded event log, CatalogEventHandler, ImageVectorizer, CollectionRegistry, ReindexService, the gates and the generation history.
 * mock: search (FakeProductIndex, FakeGenerationSearcher: nearest image vector), the embedder, image hosts, the decoder, the golden set's topic (testing/fakes.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@vsearch/observability';
import type { CollectionInfo, GateReport } from '@vsearch/contracts';
import { ImageUnavailableError, PRODUCTS_ALIAS } from '../ports';
import { FAKE_MODEL, FakeEmbedder, FakeGenerationSearcher, FakeGoldenQueries, FakeImageSource, FakeProductIndex, upserted } from '../testing/fakes';
import { buildReindexPipeline, fakeVectorizer, recordedStates, type ReindexPipelineOptions } from '../testing/reindex-pipeline';
import { Registry } from 'prom-client';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { GenerationGates, type GateSettings } from './generation-gates';
import { LoadedModelQueryEmbedder } from './loaded-model.query-embedder';

const logger = createLogger('ingestion-test', 'silent');

const STRICT: GateSettings = { minProductShare: 0.98, maxFailedImageShare: 0.05, recallMargin: 0.02, catalogSample: 50 };

/** Titles with distinct first letters: each title's text vector equals its product's image vector (FakeEmbedder). */
const TITLES = [
  'Amber dress',
  'Blue shirt',
  'Coral skirt',
  'Denim jacket',
  'Emerald scarf',
  'Fawn boots',
  'Grey coat',
  'Hazel bag',
  'Ivory blouse',
  'Jade hat',
];
const ids = TITLES.map((_, i) => `p${i}`);

describe(GenerationGates.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gates-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A live generation (products_v1) filled from a published catalog of 10 products with two images each. */
  async function liveCatalog(options: ReindexPipelineOptions = { gates: STRICT }) {
    const t = await buildReindexPipeline(dir, logger, new FakeProductIndex(), options);
    const events = TITLES.map((title, i) => {
      const images = [1, 2].map((n) => ({ id: `${ids[i]}-${n}`, url: `http://img/${ids[i]}-${n}.jpg` }));
      for (const image of images) t.source.images.set(image.url, Buffer.from(title));
      return { key: ids[i], value: JSON.stringify(upserted(ids[i], 1, images, { title })) };
    });
    await t.log.publish('products', events);
    await t.indexLive();
    expect(t.index.products(PRODUCTS_ALIAS).size).toBe(10);
    return t;
  }

  const unfetchable = () => new ImageUnavailableError('fetch', 'http_404', 'gone');
  const rebuild = (jobId: string, extra: Record<string, unknown> = {}) => ({
    type: 'reindex.requested' as const,
    jobId,
    requestedAt: new Date().toISOString(),
    ...extra,
  });

  it('swaps a generation that passes every gate and records each gate’s figures', async () => {
    const t = await liveCatalog();
    t.golden.set = { queries: [{ query: 'Coral skirt', expectedProductIds: ['p2'] }], updatedAt: new Date().toISOString() };
    const job = await t.reindex.run(rebuild('ok'));
    expect(job).toMatchObject({ state: 'done', collection: 'products_v2', previousCollection: 'products_v1' });
    expect(job.gates?.passed).toBe(true);
    expect(job.gates?.gates.map((gate) => [gate.gate, gate.passed, gate.measured])).toEqual([
      ['product_count', true, 10],
      ['failed_images', true, 0],
      ['golden_recall', true, 1],
      ['catalog_recall', true, 1],
    ]);
    // Each generation was searched with its own model named.
    expect(t.searcher.queries.every((query) => query.modelId === FAKE_MODEL.modelId)).toBe(true);
    expect(new Set(t.searcher.queries.map((query) => query.collection))).toEqual(new Set(['products_v1', 'products_v2']));
  });

  it('keeps the live generation when a rebuild lost products (images made unfetchable), keeps the new one unwritten, then swaps when forced', async () => {
    const t = await liveCatalog();
    for (const id of ids.slice(0, 3)) for (const n of [1, 2]) t.source.images.set(`http://img/${id}-${n}.jpg`, unfetchable());
    const job = await t.reindex.run(rebuild('lossy'));
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(
      /^products_v2 failed its gates: product_count \(7 products in the new generation, 10 live.*catalog_recall.*products_v1 keeps serving; products_v2 is kept for inspection/,
    );
    expect(job.gates?.gates.find((gate) => gate.gate === 'product_count')).toMatchObject({ passed: false, measured: 7, required: 10, live: 10 });
    expect(job.gates?.gates.find((gate) => gate.gate === 'catalog_recall')).toMatchObject({ passed: false, measured: 0.7, live: 1 });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect(t.index.collections.has('products_v2')).toBe(true);
    await t.registry.refresh(FAKE_MODEL);
    expect(t.registry.current.targets).toEqual([PRODUCTS_ALIAS]);
    expect((await t.history.list()).map((generation) => [generation.name, generation.status])).toEqual([
      ['products_v1', 'live'],
      ['products_v2', 'rejected'],
    ]);

    const forced = await t.reindex.run(rebuild('forced', { force: { reason: 'supplier removed those products' } }));
    expect(forced).toMatchObject({ state: 'done', collection: 'products_v3' });
    expect(forced.gates).toMatchObject({ passed: false, forcedReason: 'supplier removed those products' });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v3');
  });

  it('fails the failed-image gate when many second photos cannot be fetched although every product survives', async () => {
    const t = await liveCatalog();
    for (const id of ids.slice(0, 4)) t.source.images.set(`http://img/${id}-2.jpg`, unfetchable());
    const job = await t.reindex.run(rebuild('photos'));
    expect(job.state).toBe('failed');
    const byName = Object.fromEntries(job.gates!.gates.map((gate) => [gate.gate, gate]));
    expect(byName.product_count.passed).toBe(true);
    expect(byName.failed_images).toMatchObject({ passed: false, measured: 0.2, live: 0, required: 0.05 });
    expect(byName.catalog_recall.passed).toBe(true);
  });

  it('fails the golden gate alone when a golden query’s product went missing, naming the worst miss', async () => {
    const t = await liveCatalog({ gates: { minProductShare: 0.5, maxFailedImageShare: 0.5, recallMargin: 0.02, catalogSample: 0 } });
    t.golden.set = {
      queries: [
        { query: 'Blue shirt', expectedProductIds: ['p1'] },
        { query: 'Amber dress', expectedProductIds: ['p0'] },
      ],
      updatedAt: '2026-12-01T10:00:00.000Z',
    };
    for (const n of [1, 2]) t.source.images.set(`http://img/p0-${n}.jpg`, unfetchable());
    const job = await t.reindex.run(rebuild('golden'));
    expect(job.state).toBe('failed');
    const failed = job.gates!.gates.filter((gate) => !gate.passed);
    expect(failed.map((gate) => gate.gate)).toEqual(['golden_recall']);
    expect(failed[0]).toMatchObject({ measured: 0.5, live: 1, required: 0.98 });
    expect(failed[0].detail).toContain('"Amber dress" 1.00→0.00');
    expect(job.gates!.gates.find((gate) => gate.gate === 'catalog_recall')?.detail).toMatch(/^not run/);
  });

  it('runs golden photo queries through the safe fetch path, leaving a photo that cannot be fetched out of both generations', async () => {
    const t = await liveCatalog();
    t.source.images.set('http://shopper/jade.jpg', Buffer.from('Jade hat'));
    t.source.images.set('http://shopper/gone.jpg', unfetchable());
    t.golden.set = {
      queries: [
        { imageUrl: 'http://shopper/jade.jpg', expectedProductIds: ['p9'] },
        { imageUrl: 'http://shopper/gone.jpg', expectedProductIds: ['p0'] },
      ],
      updatedAt: new Date().toISOString(),
    };
    const job = await t.reindex.run(rebuild('photos-golden'));
    expect(job.state).toBe('done');
    const golden = job.gates!.gates.find((gate) => gate.gate === 'golden_recall')!;
    expect(golden).toMatchObject({ passed: true, measured: 1, live: 1 });
    expect(golden.detail).toContain('(1 left out: image not fetchable)');
  });

  it('swaps a self-heal of a damaged live generation even when a gate fails, recording why, and drops the damaged one', async () => {
    const t = await liveCatalog();
    for (const n of [1, 2]) t.source.images.set(`http://img/p0-${n}.jpg`, unfetchable());
    t.index.damage.set('products_v1', 'checksum mismatch in segment 3');
    await t.index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension, 'products_v2');
    const job = await t.reindex.run(rebuild('heal-1'), { into: 'products_v2', heal: true });
    expect(job.state).toBe('done');
    expect(job.gates).toMatchObject({ passed: false, forcedReason: expect.stringContaining('self-heal: products_v1 is damaged') });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v2');
    expect(t.index.collections.has('products_v1')).toBe(false);
  });

  it('rolls back to the previous generation, which kept receiving live writes, and retains the one it leaves', async () => {
    const t = await liveCatalog();
    expect((await t.reindex.run(rebuild('r1'))).state).toBe('done');
    // A live write after the swap reaches the retained generation too.
    t.source.images.set('http://img/new-1.jpg', Buffer.from('Khaki trousers'));
    await t.log.publish('products', [
      { key: 'new', value: JSON.stringify(upserted('new', 1, [{ id: 'new-1', url: 'http://img/new-1.jpg' }], { title: 'Khaki trousers' })) },
    ]);
    await t.registry.refresh(FAKE_MODEL);
    expect(t.registry.current.targets).toEqual([PRODUCTS_ALIAS, 'products_v1']);
    await t.indexLive();
    expect(t.index.products('products_v1').has('new')).toBe(true);

    const back = await t.reindex.run({ type: 'rollback.requested', jobId: 'rb-1', requestedAt: new Date().toISOString() });
    expect(back).toMatchObject({ state: 'done', kind: 'rollback', collection: 'products_v1', previousCollection: 'products_v2' });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect(t.index.products(PRODUCTS_ALIAS).size).toBe(11);
    expect(t.registry.current.targets).toEqual([PRODUCTS_ALIAS, 'products_v2']);
    const listed = await t.history.list();
    expect(listed.map((generation) => [generation.name, generation.status, generation.receivesWrites])).toEqual([
      ['products_v1', 'live', true],
      ['products_v2', 'retained', true],
    ]);
    expect(listed[1].gates?.passed).toBe(true);
  });

  it('records every change of a gated rebuild in the job store: gating, then the final record with its gate report, once', async () => {
    const t = await liveCatalog();
    const states = recordedStates(t.jobStore);
    for (const n of [1, 2]) t.source.images.set(`http://img/p0-${n}.jpg`, unfetchable());
    const job = await t.reindex.run(rebuild('rejected-recorded'));
    expect(job.state).toBe('failed');
    expect(states).toEqual(expect.arrayContaining(['queued', 'running', 'gating']));
    expect(states.indexOf('running')).toBeLessThan(states.indexOf('gating'));
    expect(states.filter((state) => state === 'failed')).toEqual(['failed']);
    const recorded = await t.jobStore.get('rejected-recorded');
    expect(recorded).toMatchObject({ state: 'failed', kind: 'rebuild', collection: 'products_v2', replicaId: 'replica-under-test' });
    expect(recorded?.gates?.passed).toBe(false);
    expect(recorded?.gates?.gates.find((gate) => gate.gate === 'product_count')).toMatchObject({ passed: false, measured: 9 });
  });

  it('records a rollback consumed again after its interrupted run had swapped as done, without moving the alias again', async () => {
    const t = await liveCatalog();
    expect((await t.reindex.run(rebuild('r1'))).state).toBe('done');
    // The interrupted run swapped back to products_v1, then shutdown recorded it queued again.
    await t.index.swapAlias(PRODUCTS_ALIAS, 'products_v1');
    await t.jobStore.put({ jobId: 'rb-again', kind: 'rollback', state: 'queued', total: 0, done: 0, collection: 'products_v1' });
    const back = await t.reindex.run({ type: 'rollback.requested', jobId: 'rb-again', requestedAt: new Date().toISOString() });
    expect(back).toMatchObject({ state: 'done', kind: 'rollback', collection: 'products_v1' });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect(await t.jobStore.get('rb-again')).toMatchObject({ state: 'done', collection: 'products_v1' });
  });

  it('refuses a rollback with nothing retained, to a rejected generation, and to one of a model the embedder has not loaded', async () => {
    const t = await liveCatalog();
    const rollback = (jobId: string, to?: string) =>
      t.reindex.run({ type: 'rollback.requested', jobId, requestedAt: new Date().toISOString(), ...(to ? { to } : {}) });
    expect(await rollback('none')).toMatchObject({ state: 'failed', error: expect.stringContaining('no previous generation is retained') });
    for (const n of [1, 2]) t.source.images.set(`http://img/p0-${n}.jpg`, unfetchable());
    expect((await t.reindex.run(rebuild('rejected'))).state).toBe('failed');
    expect(await rollback('to-rejected', 'products_v2')).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('products_v2 is rejected, not a retained generation'),
    });
    const other = await t.index.createCollection('other-model@2', FAKE_MODEL.dimension, 'products_v9');
    await t.jobStore.put({
      jobId: 'old',
      kind: 'rebuild',
      state: 'done',
      total: 0,
      done: 0,
      collection: 'products_v1',
      previousCollection: other,
      finishedAt: new Date().toISOString(),
    });
    expect(await rollback('to-other-model', 'products_v9')).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('holds vectors of model other-model@2, which the embedder has not loaded (its default is fake-model@1)'),
    });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
  });

  it('compares with the live generation’s recorded figure when the embedder does not serve its model (a model rollout)', async () => {
    const index = new FakeProductIndex();
    const embedder = new FakeEmbedder();
    const vectorizer = fakeVectorizer(new FakeImageSource(), embedder, new IngestionMetrics(new Registry()), logger);
    const golden = new FakeGoldenQueries();
    golden.set = { queries: [{ query: 'Amber dress', expectedProductIds: ['p0'] }], updatedAt: new Date().toISOString() };
    await index.createCollection('old-model@1', FAKE_MODEL.dimension, 'products_v1');
    await index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension, 'products_v2');
    await index.upsertProducts(
      'products_v2',
      [
        {
          product: {
            productId: 'p0',
            version: 1,
            title: 'Amber dress',
            description: '',
            brand: '',
            categories: [],
            price: { amount: 1, currency: 'EUR' },
            inStock: true,
            attributes: {},
          },
          images: [],
          failedImages: [],
        },
      ],
      FAKE_MODEL.modelId,
    );
    const searcher = new FakeGenerationSearcher(index);
    const loadedModel = (modelId: string) => (modelId === FAKE_MODEL.modelId ? FAKE_MODEL : undefined);
    const gates = new GenerationGates(index, searcher, new LoadedModelQueryEmbedder(embedder, vectorizer, loadedModel), golden, STRICT, logger);
    const info = (name: string, modelId: string, productCount: number): CollectionInfo => ({
      name,
      modelId,
      dimension: 4,
      productCount,
      pointCount: 0,
      aliases: [],
    });
    const liveReport: GateReport = {
      passed: true,
      checkedAt: '2026-11-30T00:00:00.000Z',
      gates: [{ gate: 'golden_recall', passed: true, measured: 0.9, required: 0 }],
    };
    const report = await gates.check({ live: info('products_v1', 'old-model@1', 1), next: info('products_v2', FAKE_MODEL.modelId, 1), sample: [], liveReport });
    const goldenGate = report.gates.find((gate) => gate.gate === 'golden_recall')!;
    // p0 has no image vector in the new generation: recall 0 against the recorded 0.9.
    expect(goldenGate).toMatchObject({ passed: false, measured: 0, live: 0.9 });
    expect(goldenGate.detail).toContain(
      "the embedder does not serve live products_v1's model old-model@1, so its figure is the one recorded at its swap (2026-11-30T00:00:00.000Z)",
    );
    // The live generation was never searched with the new model's vectors.
    expect(searcher.queries.map((query) => query.collection)).toEqual(['products_v2']);
  });
});
