/**
 * real: the embedded file event log (the catalog topic replayed by the heal), ReindexService, CatalogEventHandler.
 * fake: search (FakeProductIndex, which reports the damage a test sets), the embedder, image hosts, the decoder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CollectionInfo } from '@vsearch/contracts';
import { createLogger } from '@vsearch/observability';
import { PRODUCTS_ALIAS } from '../ports';
import { buildReindexPipeline } from '../testing/reindex-pipeline';
import { FAKE_MODEL, FakeProductIndex, upserted } from '../testing/fakes';
import { CollectionHealer } from './collection-healer';

const logger = createLogger('ingestion-test', 'silent');
const PRODUCTS = ['p1', 'p2', 'p3'];
const DAMAGE = 'vectors.f32 is 300 bytes short: 1 product affected';

describe(CollectionHealer.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'heal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** An ingestion replica over `index`: products p1..p3 published and indexed into products_v1 behind the alias. */
  async function setUp(index = new FakeProductIndex(), options: { model?: typeof FAKE_MODEL } = { model: FAKE_MODEL }) {
    const { log, metrics, source, handler, registry, reindex } = await buildReindexPipeline(dir, logger, index);
    const healer = new CollectionHealer(index, reindex, () => options.model, metrics, { checkMs: 1000, abandonedAfterChecks: 2 }, logger);
    for (const id of PRODUCTS) source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
    await log.publish(
      'products',
      PRODUCTS.map((id) => ({ key: id, value: JSON.stringify(upserted(id, 1, [{ id: `${id}-1`, url: `http://img/${id}.jpg` }])) })),
    );
    await log.replayTopic('products', async (batch) => void (await handler.handleChunk(batch.messages, registry.current.targets)));
    const heals = async () => Object.fromEntries((await metrics.heals.get()).values.map((value) => [value.labels.outcome, value.value]));
    return { log, index, reindex, healer, metrics, heals };
  }

  it('does nothing while the live collection is intact', async () => {
    const t = await setUp();
    expect(await t.healer.checkOnce()).toBe('intact');
    expect([...t.index.collections.keys()]).toEqual(['products_v1']);
    expect(t.healer.currentStatus()).toEqual({ state: 'idle' });
  });

  it('rebuilds a damaged live collection from the catalog topic into a new generation, swaps the alias and drops the damaged one', async () => {
    const t = await setUp();
    t.index.products('products_v1').delete('p2');
    t.index.damage.set('products_v1', DAMAGE);
    expect(await t.healer.checkOnce()).toBe('healed');
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v2');
    expect([...t.index.collections.keys()]).toEqual(['products_v2']);
    expect([...t.index.products(PRODUCTS_ALIAS).keys()].sort()).toEqual(PRODUCTS);
    expect(await t.heals()).toEqual({ healed: 1 });
    expect((await t.metrics.healInProgress.get()).values[0].value).toBe(0);
    expect(t.healer.currentStatus()).toMatchObject({ state: 'idle', lastOutcome: { outcome: 'healed', collection: 'products_v1' } });
    expect(await t.healer.checkOnce()).toBe('intact');
  });

  it('starts one heal at a time: a check while a heal runs does nothing', async () => {
    const t = await setUp();
    t.index.damage.set('products_v1', DAMAGE);
    const first = t.healer.checkOnce();
    expect(await t.healer.checkOnce()).toBe('busy');
    expect(await first).toBe('healed');
    expect([...t.index.collections.keys()]).toEqual(['products_v2']);
    expect(await t.heals()).toEqual({ healed: 1 });
  });

  it('reports the heal in progress: the damage, the job and the generation it fills', async () => {
    const t = await setUp();
    t.index.damage.set('products_v1', DAMAGE);
    const seen: unknown[] = [];
    const run = t.reindex.run.bind(t.reindex);
    jest.spyOn(t.reindex, 'run').mockImplementation((request, options) => {
      seen.push({ status: t.healer.currentStatus(), inProgress: t.metrics.healInProgress.get() });
      return run(request, options);
    });
    await t.healer.checkOnce();
    const [{ status, inProgress }] = seen as { status: unknown; inProgress: ReturnType<typeof t.metrics.healInProgress.get> }[];
    expect(status).toEqual({
      state: 'healing',
      damagedCollection: 'products_v1',
      damage: DAMAGE,
      jobId: expect.stringMatching(/^heal-products_v1-/),
      healingInto: 'products_v2',
    });
    expect((await inProgress).values[0].value).toBe(1);
  });

  it('waits while a reindex runs on this replica, and finds nothing to heal after the rebuild replaced the damaged generation', async () => {
    const t = await setUp();
    t.index.damage.set('products_v1', DAMAGE);
    const job = t.reindex.run({ type: 'reindex.requested', jobId: 'operator-1', requestedAt: new Date().toISOString() });
    while (!t.reindex.activeJob()) await new Promise((resolve) => setImmediate(resolve));
    expect(await t.healer.checkOnce()).toBe('waiting');
    expect(t.healer.currentStatus()).toMatchObject({
      state: 'waiting',
      damagedCollection: 'products_v1',
      waitingFor: expect.stringContaining('reindex job operator-1 is running here'),
    });
    expect(await job).toMatchObject({ state: 'done', collection: 'products_v2' });
    expect(await t.healer.checkOnce()).toBe('intact');
    expect(await t.heals()).toEqual({});
  });

  it('waits while another replica fills a newer generation, and drops it as abandoned once it stops growing', async () => {
    const t = await setUp();
    t.index.damage.set('products_v1', DAMAGE);
    await t.index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension, 'products_v2');
    expect(await t.healer.checkOnce()).toBe('waiting');
    expect(t.healer.currentStatus().waitingFor).toContain('generation products_v2 is being filled (0 products so far)');
    // It grows: still a live rebuild.
    await t.index.upsertProducts('products_v2', [{ product: { ...t.index.products('products_v1').get('p1')!.product }, images: [] }], FAKE_MODEL.modelId);
    expect(await t.healer.checkOnce()).toBe('waiting');
    expect(await t.healer.checkOnce()).toBe('waiting');
    expect(t.index.collections.has('products_v2')).toBe(true);
    // Two checks without growth: abandoned (its process died), dropped, and the heal goes on.
    expect(await t.healer.checkOnce()).toBe('healed');
    expect([...t.index.collections.keys()]).toEqual(['products_v3']);
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v3');
  });

  it('leaves the heal to the replica that created the heal generation first', async () => {
    class RacingIndex extends FakeProductIndex {
      override async listCollections(): Promise<CollectionInfo[]> {
        const answer = await super.listCollections();
        // Another replica creates the heal generation right after this one read the collections.
        if (this.damage.size > 0 && !this.collections.has('products_v2')) await this.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension, 'products_v2');
        return answer;
      }
    }
    const t = await setUp(new RacingIndex());
    t.index.damage.set('products_v1', DAMAGE);
    expect(await t.healer.checkOnce()).toBe('deferred');
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect(await t.heals()).toEqual({ deferred: 1 });
    expect(t.healer.currentStatus().lastOutcome).toMatchObject({ outcome: 'deferred' });
  });

  it('counts a failed heal, keeps serving the damaged collection, drops the unfinished generation and heals at the next check', async () => {
    class FailingSwapIndex extends FakeProductIndex {
      failSwaps = 1;
      override async swapAlias(alias: string, collection: string): Promise<string | undefined> {
        if (collection !== 'products_v1' && this.failSwaps-- > 0) throw new Error('alias swap refused');
        return super.swapAlias(alias, collection);
      }
    }
    const t = await setUp(new FailingSwapIndex());
    t.index.damage.set('products_v1', DAMAGE);
    expect(await t.healer.checkOnce()).toBe('failed');
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect([...t.index.collections.keys()]).toEqual(['products_v1']);
    expect(t.healer.currentStatus().lastOutcome).toMatchObject({ outcome: 'failed', error: 'alias swap refused' });
    expect(await t.healer.checkOnce()).toBe('healed');
    expect(await t.heals()).toEqual({ failed: 1, healed: 1 });
  });

  it('does not check before the embedder model is known (a heal could not build vectors)', async () => {
    const t = await setUp(new FakeProductIndex(), { model: undefined });
    t.index.damage.set('products_v1', DAMAGE);
    expect(await t.healer.checkOnce()).toBe('unknown');
    expect(t.index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
  });
});
