import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReindexJob } from '@vsearch/contracts';
import { createLogger } from '@vsearch/observability';
import { PRODUCTS_ALIAS } from '../ports';
import { buildReindexPipeline, recordedStates } from '../testing/reindex-pipeline';
import { FAKE_MODEL, upserted } from '../testing/fakes';
import { ReindexService } from './reindex.service';

const logger = createLogger('ingestion-test', 'silent');

describe(ReindexService.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'reindex-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function setUp() {
    return buildReindexPipeline(dir, logger);
  }

  it('rebuilds the catalog into a new generation, swaps the alias and retains the old one, still written, for a rollback', async () => {
    const t = await setUp();
    const events = ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => {
      t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      return {
        key: id,
        value: JSON.stringify(
          upserted(id, 1, [{ id: `${id}-1`, url: `http://img/${id}.jpg` }], { categories: id === 'p5' ? ['men', 'shirts'] : ['women', 'dresses'] }),
        ),
      };
    });
    await t.log.publish('products', [...events, { key: 'bad', value: '{oops' }]);
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-1', requestedAt: new Date().toISOString() });
    expect(job).toMatchObject({ jobId: 'job-1', state: 'done', total: 6, done: 6, collection: 'products_v2', previousCollection: 'products_v1' });
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v2');
    expect(t.index.collections.has('products_v1')).toBe(true);
    expect([...t.index.products(PRODUCTS_ALIAS).keys()].sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(t.reindex.getJob('job-1')?.finishedAt).toEqual(expect.any(String));
    expect(t.registry.current.targets).toEqual([PRODUCTS_ALIAS, 'products_v1']);
    expect(await t.jobStore.get('job-1')).toMatchObject({ state: 'done', kind: 'rebuild', collection: 'products_v2', modelId: 'fake-model@1' });
  });

  it('refreshes the matching products in place on a filtered reindex: no new generation, no swap, every product kept', async () => {
    const t = await setUp();
    const categories: Record<string, string[]> = { a: ['men', 'shirts'], b: ['women', 'dresses'], c: ['women', 'shirts'] };
    const events = Object.entries(categories).map(([id, productCategories]) => {
      t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      return { key: id, value: JSON.stringify(upserted(id, 1, [{ id: `${id}1`, url: `http://img/${id}.jpg` }], { categories: productCategories })) };
    });
    await t.log.publish('products', [
      ...events,
      { key: 'gone', value: JSON.stringify({ type: 'product.deleted', productId: 'gone', version: 1, occurredAt: new Date().toISOString() }) },
    ]);
    await t.indexLive();
    const vectorOf = (id: string) => Array.from(t.index.products(PRODUCTS_ALIAS).get(id)!.images[0].vector);
    const before = { a: vectorOf('a'), b: vectorOf('b'), embedded: t.embedder.embeddedImages, writes: t.index.writes.length };
    // New bytes behind the same URLs (a re-shot photo): only a refresh picks them up, and only for matching products.
    for (const id of Object.keys(categories)) t.source.images.set(`http://img/${id}.jpg`, Buffer.from(`${id}-reshot`));

    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-2', filter: { categories: ['shirts'] }, requestedAt: new Date().toISOString() });
    expect(job).toMatchObject({ state: 'done', total: 4, done: 4, collection: 'products_v1' });
    expect(job.previousCollection).toBeUndefined();
    expect([...t.index.collections.keys()]).toEqual(['products_v1']);
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect([...t.index.products(PRODUCTS_ALIAS).keys()].sort()).toEqual(['a', 'b', 'c']);
    // a and c re-fetched and re-embedded (the cache would have answered for the same bytes: it is bypassed), with the same version.
    expect(t.embedder.embeddedImages - before.embedded).toBe(2);
    expect(t.index.writes.slice(before.writes)).toEqual([`upsert ${PRODUCTS_ALIAS} a@1`, `upsert ${PRODUCTS_ALIAS} c@1`]);
    expect(vectorOf('a')).not.toEqual(before.a);
    expect(vectorOf('b')).toEqual(before.b);
  });

  it('re-embeds even when the bytes are unchanged (the cache is bypassed), and leaves a product whose stored version is newer alone', async () => {
    const t = await setUp();
    for (const id of ['a', 'b']) t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
    await t.log.publish(
      'products',
      ['a', 'b'].map((id) => ({ key: id, value: JSON.stringify(upserted(id, 1, [{ id: `${id}1`, url: `http://img/${id}.jpg` }])) })),
    );
    await t.indexLive();
    // b moved on to version 2 (its event is not in the replayed range): the replayed version 1 is obsolete.
    const stored = t.index.products(PRODUCTS_ALIAS).get('b')!;
    await t.index.upsertProducts(PRODUCTS_ALIAS, [{ product: { ...stored.product, version: 2 }, images: stored.images }], FAKE_MODEL.modelId);
    const embedded = t.embedder.embeddedImages;
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-5', filter: { categories: ['dresses'] }, requestedAt: new Date().toISOString() });
    expect(job.state).toBe('done');
    expect(t.embedder.embeddedImages - embedded).toBe(1);
    expect(t.index.products(PRODUCTS_ALIAS).get('b')!.product.version).toBe(2);
  });

  it('keeps the live collection when a filtered reindex fails', async () => {
    const t = await setUp();
    t.source.images.set('http://img/a.jpg', Buffer.from('a'));
    await t.log.publish('products', [{ key: 'a', value: JSON.stringify(upserted('a', 1, [{ id: 'a1', url: 'http://img/a.jpg' }])) }]);
    await t.indexLive();
    t.index.getProduct = async () => {
      throw new Error('search answered something unexpected');
    };
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-6', filter: { categories: ['dresses'] }, requestedAt: new Date().toISOString() });
    expect(job).toMatchObject({ state: 'failed', error: 'search answered something unexpected', collection: 'products_v1' });
    expect([...t.index.collections.keys()]).toEqual(['products_v1']);
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect(t.index.products(PRODUCTS_ALIAS).has('a')).toBe(true);
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

  it('fails a filtered reindex on a damaged live collection instead of waiting for it (the self-heal waits while a job runs)', async () => {
    const t = await setUp();
    t.source.images.set('http://img/a.jpg', Buffer.from('a'));
    await t.log.publish('products', [{ key: 'a', value: JSON.stringify(upserted('a', 1, [{ id: 'a1', url: 'http://img/a.jpg' }])) }]);
    await t.indexLive();
    t.index.damage.set('products_v1', 'snapshot-1/vectors.f32 at byte 0: checksum mismatch');
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-7', filter: { categories: ['dresses'] }, requestedAt: new Date().toISOString() });
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/collection products is damaged; writes wait until it is rebuilt/);
    expect(t.reindex.activeJob()).toBeUndefined();
  });

  it('rebuilds a damaged live collection: the replay writes only the new generation', async () => {
    const t = await setUp();
    t.source.images.set('http://img/a.jpg', Buffer.from('a'));
    await t.log.publish('products', [{ key: 'a', value: JSON.stringify(upserted('a', 1, [{ id: 'a1', url: 'http://img/a.jpg' }])) }]);
    await t.indexLive();
    t.index.damage.set('products_v1', 'snapshot-1/vectors.f32 at byte 0: checksum mismatch');
    const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-8', requestedAt: new Date().toISOString() });
    expect(job).toMatchObject({ state: 'done', collection: 'products_v2', previousCollection: 'products_v1' });
    expect([...t.index.products(PRODUCTS_ALIAS).keys()]).toEqual(['a']);
    expect([...t.index.collections.keys()]).toEqual(['products_v2']);
  });

  it('runs jobs one at a time: a request arriving while a rebuild runs is queued behind it', async () => {
    const t = await setUp();
    t.source.images.set('http://img/p1.jpg', Buffer.from('p1'));
    await t.log.publish('products', [{ key: 'p1', value: JSON.stringify(upserted('p1', 1, [{ id: 'p1-1', url: 'http://img/p1.jpg' }])) }]);
    const first = t.reindex.run({ type: 'reindex.requested', jobId: 'job-1', requestedAt: new Date().toISOString() });
    const second = t.reindex.run({ type: 'reindex.requested', jobId: 'job-2', requestedAt: new Date().toISOString() });
    while (!t.reindex.activeJob()) await new Promise((resolve) => setImmediate(resolve));
    expect(t.reindex.activeJob()?.jobId).toBe('job-1');
    expect(t.reindex.getJob('job-2')?.state).toBe('queued');
    expect(await first).toMatchObject({ state: 'done', collection: 'products_v2' });
    expect(await second).toMatchObject({ state: 'done', collection: 'products_v3', previousCollection: 'products_v2' });
    // Both earlier generations are retained until the sweeper applies retention (generation-sweeper.spec.ts).
    expect([...t.index.collections.keys()]).toEqual(['products_v1', 'products_v2', 'products_v3']);
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v3');
  });

  it('reports an unknown job as undefined and does not run a finished job again', async () => {
    const t = await setUp();
    expect(t.reindex.getJob('nope')).toBeUndefined();
    const request = { type: 'reindex.requested' as const, jobId: 'job-4', requestedAt: new Date().toISOString() };
    await t.reindex.run(request);
    const again = await t.reindex.run(request);
    expect(again.collection).toBe('products_v2');
    expect(t.index.collections.size).toBe(2);
  });

  describe('during a model rollout', () => {
    // The next model: the same dimension (only the model id tells the spaces apart) and another input size.
    const NEXT = { modelId: 'next-model@2', dimension: FAKE_MODEL.dimension, imageSize: 3 };
    const lastComponents = (t: Awaited<ReturnType<typeof setUp>>, collection: string) =>
      [...t.index.products(collection).values()].map((stored) => stored.images[0].vector.at(-1));

    async function rollout() {
      const t = await setUp();
      t.embedder.rolloutModels = [NEXT];
      await t.registry.refresh(FAKE_MODEL, [NEXT]);
      for (const id of ['a', 'b']) t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      await t.log.publish(
        'products',
        ['a', 'b'].map((id) => ({ key: id, value: JSON.stringify(upserted(id, 1, [{ id: `${id}1`, url: `http://img/${id}.jpg` }])) })),
      );
      await t.indexLive();
      return t;
    }

    it("writes every target the vectors of its own model: the live generation the serving model's, the one being filled the next model's", async () => {
      const t = await rollout();
      const next = await t.index.createCollection(NEXT.modelId, NEXT.dimension);
      await t.registry.refresh(FAKE_MODEL);
      expect(t.registry.current.targets).toEqual([PRODUCTS_ALIAS, next]);
      t.source.images.set('http://img/c.jpg', Buffer.from('c'));
      await t.log.publish('products', [{ key: 'c', value: JSON.stringify(upserted('c', 1, [{ id: 'c1', url: 'http://img/c.jpg' }])) }]);
      await t.indexLive();
      // FakeEmbedder: the last component is the model's position (1 the serving model, 2 the next); the fake index refuses another model's upsert.
      expect(lastComponents(t, PRODUCTS_ALIAS)).toEqual([1, 1, 1]);
      expect(lastComponents(t, next)).toEqual([2, 2, 2]);
      expect(t.embedder.modelCalls).toContain(NEXT.modelId);
      // The new product's photo is downloaded once for both models, and embedded once by each.
      expect(t.source.fetched.filter((url) => url === 'http://img/c.jpg')).toEqual(['http://img/c.jpg']);
    });

    it('fills the new generation with the model the request names, swaps, and keeps writing live events with that model', async () => {
      const t = await rollout();
      const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-rollout', modelId: NEXT.modelId, requestedAt: new Date().toISOString() });
      expect(job).toMatchObject({ state: 'done', collection: 'products_v2', modelId: NEXT.modelId });
      expect(t.index.collections.get('products_v2')?.modelId).toBe(NEXT.modelId);
      expect(lastComponents(t, PRODUCTS_ALIAS)).toEqual([2, 2]);
      // The live generation now holds the next model, which the embedder serves beside its default: writes go on; the
      // previous generation is retained for a rollback and, its model still loaded, keeps getting live writes.
      expect(t.registry.current.targets).toEqual([PRODUCTS_ALIAS, 'products_v1']);
      t.source.images.set('http://img/c.jpg', Buffer.from('c'));
      await t.log.publish('products', [{ key: 'c', value: JSON.stringify(upserted('c', 1, [{ id: 'c1', url: 'http://img/c.jpg' }])) }]);
      await t.indexLive();
      expect(lastComponents(t, PRODUCTS_ALIAS)).toEqual([2, 2, 2]);
    });

    it('fails a reindex naming a model the embedder has not loaded, naming it, and leaves the live generation alone', async () => {
      const t = await rollout();
      const job = await t.reindex.run({ type: 'reindex.requested', jobId: 'job-unknown', modelId: 'other@9', requestedAt: new Date().toISOString() });
      expect(job.state).toBe('failed');
      expect(job.error).toBe(
        `model other@9 is not loaded on the embedder (it serves ${FAKE_MODEL.modelId}); load it beside the default with ROLLOUT_MODEL_DIR first`,
      );
      expect([...t.index.collections.keys()]).toEqual(['products_v1']);
    });
  });

  describe('rolling back', () => {
    // The next model: loaded beside the default, with the same dimension (only the model id tells the spaces apart).
    const NEXT = { modelId: 'next-model@2', dimension: FAKE_MODEL.dimension, imageSize: 3 };
    const now = () => new Date().toISOString();
    const product = (id: string, version: number, image = id) => ({
      key: id,
      value: JSON.stringify(upserted(id, version, [{ id: `${id}-${image}`, url: `http://img/${image}.jpg` }], { title: `${id} v${version}` })),
    });

    /** p1..p3 in products_v1, then rebuilt into products_v2 (model `modelId`), which serves; products_v1 is retained. */
    async function swappedOnce(modelId?: string) {
      const t = await setUp();
      t.embedder.rolloutModels = [NEXT];
      await t.registry.refresh(FAKE_MODEL, [NEXT]);
      for (const id of ['p1', 'p2', 'p3', 'p1-new']) t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      await t.log.publish(
        'products',
        ['p1', 'p2', 'p3'].map((id) => product(id, 1)),
      );
      await t.indexLive();
      const rebuilt = await t.reindex.run({ type: 'reindex.requested', jobId: 'rebuild', modelId, requestedAt: now() });
      expect(rebuilt).toMatchObject({ state: 'done', collection: 'products_v2', previousCollection: 'products_v1' });
      return t;
    }

    /** Events handled into the live generation only: what a replica that had not refreshed its write targets around the swap did. */
    async function writtenToLiveOnly(t: Awaited<ReturnType<typeof setUp>>, records: { key: string; value: string | null }[]) {
      const before = (await t.log.endOffsets('products')).get(0) ?? '0';
      await t.log.publish('products', records);
      await t.log.replayTopic('products', async (batch) => {
        const fresh = batch.messages.filter((message) => BigInt(message.offset) >= BigInt(before));
        if (fresh.length > 0) await t.handler.handleChunk(fresh, [PRODUCTS_ALIAS]);
      });
    }

    it('catches the retained generation up before the swap: missed updates and deletes applied, unchanged products neither fetched nor embedded', async () => {
      const t = await swappedOnce();
      await writtenToLiveOnly(t, [
        product('p1', 2, 'p1-new'),
        { key: 'p2', value: JSON.stringify({ type: 'product.deleted', productId: 'p2', version: 2, occurredAt: now() }) },
      ]);
      expect(t.index.products('products_v1').get('p1')?.product.version).toBe(1);
      expect(t.index.products('products_v1').has('p2')).toBe(true);
      const fetchedBefore = t.source.fetched.length;
      const embeddedBefore = t.embedder.embeddedImages;
      const states = recordedStates(t.jobStore);

      const job = await t.reindex.run({ type: 'rollback.requested', jobId: 'back', requestedAt: now() });

      expect(job).toMatchObject({ state: 'done', kind: 'rollback', collection: 'products_v1', previousCollection: 'products_v2', caughtUp: 1 });
      expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
      const served = t.index.products('products_v1');
      expect(served.get('p1')?.product).toMatchObject({ version: 2, title: 'p1 v2' });
      expect(served.get('p1')?.images.map((image) => image.imageId)).toEqual(['p1-p1-new']);
      expect([...served.keys()].sort()).toEqual(['p1', 'p3']);
      // Only the changed product's new photo was fetched; every current product was skipped by its version. The photo's
      // vector came from the embedding cache (the live write embedded the same bytes with the same model): nothing embedded.
      expect(t.source.fetched.slice(fetchedBefore)).toEqual(['http://img/p1-new.jpg']);
      expect(t.embedder.embeddedImages).toBe(embeddedBefore);
      expect(states).toEqual(expect.arrayContaining(['running', 'catching-up', 'swapping', 'done']));
      expect(states.indexOf('catching-up')).toBeLessThan(states.indexOf('swapping'));
      expect(await t.jobStore.get('back')).toMatchObject({ state: 'done', caughtUp: 1, modelId: FAKE_MODEL.modelId });
    });

    it("rolls back across models when the target's model is loaded: the catch-up embeds with that model", async () => {
      // products_v1 holds the default model's vectors; products_v2, which serves, the next model's.
      const t = await swappedOnce(NEXT.modelId);
      const rebuiltAgain = await t.reindex.run({ type: 'reindex.requested', jobId: 'rebuild-default', requestedAt: now() });
      expect(rebuiltAgain).toMatchObject({ state: 'done', collection: 'products_v3', previousCollection: 'products_v2', modelId: FAKE_MODEL.modelId });
      await writtenToLiveOnly(t, [product('p3', 2, 'p1-new')]);

      const job = await t.reindex.run({ type: 'rollback.requested', jobId: 'back-next', to: 'products_v2', requestedAt: now() });

      expect(job).toMatchObject({ state: 'done', collection: 'products_v2', modelId: NEXT.modelId, previousCollection: 'products_v3' });
      // FakeEmbedder: a vector's last component is its model's position (2: the next model).
      const served = t.index.products('products_v2');
      expect(served.get('p3')?.product.version).toBe(2);
      expect([...served.values()].map((stored) => stored.images[0].vector.at(-1))).toEqual([2, 2, 2]);
    });

    it('refuses a generation whose model the embedder has not loaded, naming the model and how to load it, and leaves the alias', async () => {
      const t = await swappedOnce(NEXT.modelId);
      await t.reindex.run({ type: 'reindex.requested', jobId: 'rebuild-default', requestedAt: now() });
      t.embedder.rolloutModels = [];
      await t.registry.refresh(FAKE_MODEL, []);

      const job = await t.reindex.run({ type: 'rollback.requested', jobId: 'back-unloaded', to: 'products_v2', requestedAt: now() });

      expect(job.state).toBe('failed');
      expect(job.error).toBe(
        `products_v2 holds vectors of model ${NEXT.modelId}, which the embedder has not loaded (its default is ${FAKE_MODEL.modelId}): ` +
          'load it beside the default with ROLLOUT_MODEL_DIR (Helm: embedder.rolloutModel), then roll back again',
      );
      expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v3');
    });

    it('finishes an interrupted rollback that had swapped: recorded done, the alias not moved again, caught up once more', async () => {
      const t = await swappedOnce();
      await writtenToLiveOnly(t, [product('p1', 2, 'p1-new')]);
      await t.index.swapAlias(PRODUCTS_ALIAS, 'products_v1');
      await t.jobStore.put({
        jobId: 'back-again',
        kind: 'rollback',
        state: 'queued',
        total: 0,
        done: 0,
        collection: 'products_v1',
        previousCollection: 'products_v2',
        modelId: FAKE_MODEL.modelId,
      });

      const job = await t.reindex.run({ type: 'rollback.requested', jobId: 'back-again', requestedAt: now() });

      expect(job).toMatchObject({ state: 'done', collection: 'products_v1', previousCollection: 'products_v2', caughtUp: 1 });
      expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
      expect(t.index.products('products_v1').get('p1')?.product.version).toBe(2);
    });
  });

  describe('with the durable job store', () => {
    const request = (jobId: string) => ({ type: 'reindex.requested' as const, jobId, requestedAt: new Date().toISOString() });
    /** A record another run left in the store. */
    const recordOf = (jobId: string, fields: Partial<ReindexJob>): ReindexJob => ({ jobId, state: 'running', total: 3, done: 1, collection: '', ...fields });

    async function withCatalog() {
      const t = await setUp();
      for (const id of ['p1', 'p2', 'p3']) t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      await t.log.publish(
        'products',
        ['p1', 'p2', 'p3'].map((id) => ({ key: id, value: JSON.stringify(upserted(id, 1, [{ id: `${id}-1`, url: `http://img/${id}.jpg` }])) })),
      );
      await t.indexLive();
      return t;
    }

    it('records every state with this replica as the runner, and the final record once', async () => {
      const t = await withCatalog();
      const states = recordedStates(t.jobStore);
      await t.reindex.run(request('job-d1'));
      const recorded = await t.jobStore.get('job-d1');
      expect(recorded).toMatchObject({
        state: 'done',
        total: 3,
        done: 3,
        collection: 'products_v2',
        previousCollection: 'products_v1',
        replicaId: 'replica-under-test',
      });
      expect(recorded?.heartbeatAt).toBeUndefined();
      expect(states.filter((state) => state === 'done')).toEqual(['done']);
      expect(states).toEqual(expect.arrayContaining(['queued', 'running', 'swapping']));
      expect(states.indexOf('running')).toBeLessThan(states.indexOf('swapping'));
    });

    it('does not run a job the store records as finished (a request consumed again ends once)', async () => {
      const t = await withCatalog();
      const finished = recordOf('job-d2', { state: 'failed', collection: 'products_v9', error: 'boom', finishedAt: '2026-12-01T10:00:00Z' });
      await t.jobStore.put(finished);
      expect(await t.reindex.run(request('job-d2'))).toMatchObject(finished);
      expect([...t.index.collections.keys()]).toEqual(['products_v1']);
      expect(await t.jobStore.get('job-d2')).toMatchObject(finished);
    });

    it('drops the half-filled generation of a run whose replica stopped (stale heartbeat), then runs the job again', async () => {
      const t = await withCatalog();
      const abandoned = await t.index.createCollection('fake-model', 4);
      const old = new Date(Date.now() - 60_000).toISOString();
      await t.jobStore.put({
        jobId: 'job-d3',
        state: 'running',
        total: 3,
        done: 1,
        collection: abandoned,
        replicaId: 'replica-gone',
        heartbeatAt: old,
        updatedAt: old,
      });
      const job = await t.reindex.run(request('job-d3'));
      expect(job).toMatchObject({ state: 'done', total: 3, done: 3, previousCollection: 'products_v1', replicaId: 'replica-under-test' });
      expect(job.collection).not.toBe(abandoned);
      // The abandoned generation is gone; the one that served before is retained for a rollback.
      expect([...t.index.collections.keys()]).toEqual(['products_v1', job.collection]);
    });

    it('records a job done without running it again when the interrupted run had already swapped the alias', async () => {
      const t = await withCatalog();
      const swapped = await t.index.createCollection('fake-model', 4);
      await t.index.swapAlias(PRODUCTS_ALIAS, swapped);
      await t.jobStore.put({
        jobId: 'job-d4',
        state: 'swapping',
        total: 3,
        done: 3,
        collection: swapped,
        previousCollection: 'products_v1',
        replicaId: 'replica-gone',
      });
      await t.jobStore.put({ ...(await t.jobStore.get('job-d4'))!, state: 'queued', replicaId: undefined });
      const job = await t.reindex.run(request('job-d4'));
      expect(job).toMatchObject({ state: 'done', collection: swapped, previousCollection: 'products_v1' });
      expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe(swapped);
      expect(await t.jobStore.get('job-d4')).toMatchObject({ state: 'done', collection: swapped });
    });

    it('waits while another replica runs the job (fresh heartbeat) and takes its result', async () => {
      const t = await withCatalog();
      const running = recordOf('job-d5', { collection: 'products_v7', replicaId: 'replica-b', heartbeatAt: new Date().toISOString() });
      await t.jobStore.put(running);
      const waiting = t.reindex.run(request('job-d5'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await t.jobStore.put({ ...running, state: 'done', done: 3, heartbeatAt: undefined, finishedAt: new Date().toISOString() });
      expect(await waiting).toMatchObject({ state: 'done', collection: 'products_v7' });
      expect([...t.index.collections.keys()]).toEqual(['products_v1']);
    });

    it('records a job cut short by shutdown as queued again, never failed', async () => {
      const t = await withCatalog();
      t.index.down = true;
      const job = t.reindex.run(request('job-d6'));
      while ((await t.jobStore.get('job-d6'))?.state !== 'running') await new Promise((resolve) => setImmediate(resolve));
      t.reindex.stop();
      expect(await job).toMatchObject({ state: 'queued' });
      expect(await t.jobStore.get('job-d6')).toMatchObject({ state: 'queued' });
      expect((await t.jobStore.get('job-d6'))?.replicaId).toBeUndefined();
    });
  });
});
