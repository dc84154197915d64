import { createLogger } from '@vsearch/observability';
import type { GenerationInfo, ReindexJob } from '@vsearch/contracts';
import { InMemoryReindexJobStore } from '@vsearch/event-log';
import { PRODUCTS_ALIAS } from '../ports';
import { FAKE_MODEL, FakeProductIndex } from '../testing/fakes';
import { GenerationHistory, rolesFrom, rollbackTarget } from './generation-history';
import { GenerationSweeper } from './generation-sweeper';

const logger = createLogger('ingestion-test', 'silent');
const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();

/** A finished whole-catalog rebuild into `collection` that swapped from `previous` (or failed its gates). */
function rebuildJob(jobId: string, collection: string, previous: string | undefined, hours: number, passed = true): ReindexJob {
  return {
    jobId,
    kind: 'rebuild',
    state: passed ? 'done' : 'failed',
    total: 1,
    done: 1,
    collection,
    ...(passed && previous ? { previousCollection: previous } : {}),
    startedAt: at(hours - 0.5),
    finishedAt: at(hours),
    gates: { passed, gates: [], checkedAt: at(hours) },
  };
}

describe(GenerationHistory.name, () => {
  async function setUp(jobs: ReindexJob[], live: string, names: string[], retention = { generations: 1, maxAgeMs: 24 * HOUR }) {
    const index = new FakeProductIndex();
    for (const name of names) await index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension, name);
    await index.swapAlias(PRODUCTS_ALIAS, live);
    const store = new InMemoryReindexJobStore();
    for (const job of jobs) await store.put(job);
    let now = T0;
    const history = new GenerationHistory(
      store,
      index,
      retention,
      () => [FAKE_MODEL],
      () => now,
    );
    const busy = { job: undefined as ReindexJob | undefined };
    const sweeper = new GenerationSweeper(history, index, { activeJob: () => busy.job }, 60_000, logger);
    return { index, history, sweeper, busy, setNow: (hours: number) => (now = T0 + hours * HOUR) };
  }

  it('tells the live, retained, rejected and building generations apart from the job records', async () => {
    const jobs = [rebuildJob('a', 'products_v2', 'products_v1', 1), rebuildJob('b', 'products_v3', undefined, 2, false)];
    const t = await setUp(jobs, 'products_v2', ['products_v1', 'products_v2', 'products_v3', 'products_v4']);
    t.setNow(3);
    const listed = await t.history.list();
    expect(listed.map((generation) => [generation.name, generation.status, generation.receivesWrites])).toEqual([
      ['products_v1', 'retained', true],
      ['products_v2', 'live', true],
      ['products_v3', 'rejected', false],
      ['products_v4', 'building', true],
    ]);
    expect(listed[0]).toMatchObject({ swappedOutAt: at(1), dropAfter: at(25) });
    expect(listed[1]).toMatchObject({ builtBy: 'a', createdAt: at(0.5), swappedInAt: at(1), gates: { passed: true } });
    expect(rolesFrom(jobs)).toEqual({ retained: new Set(['products_v1']), rejected: new Set(['products_v3']) });
  });

  it('drops a retained generation only after its age is up, and never the live one', async () => {
    const t = await setUp([rebuildJob('a', 'products_v2', 'products_v1', 1)], 'products_v2', ['products_v1', 'products_v2']);
    t.setNow(24.9);
    expect(await t.sweeper.sweepOnce()).toEqual([]);
    t.setNow(25.1);
    expect(await t.sweeper.sweepOnce()).toEqual(['products_v1']);
    expect([...t.index.collections.keys()]).toEqual(['products_v2']);
  });

  it('keeps only the newest RETAIN_GENERATIONS previous generations', async () => {
    const jobs = [
      rebuildJob('a', 'products_v2', 'products_v1', 1),
      rebuildJob('b', 'products_v3', 'products_v2', 2),
      rebuildJob('c', 'products_v4', 'products_v3', 3),
    ];
    const t = await setUp(jobs, 'products_v4', ['products_v1', 'products_v2', 'products_v3', 'products_v4'], { generations: 2, maxAgeMs: 24 * HOUR });
    t.setNow(4);
    expect(await t.sweeper.sweepOnce()).toEqual(['products_v1']);
    expect([...t.index.collections.keys()]).toEqual(['products_v2', 'products_v3', 'products_v4']);
  });

  it('keeps the latest rejected generation until its age is up and drops older rejected ones at once', async () => {
    const jobs = [rebuildJob('a', 'products_v2', undefined, 1, false), rebuildJob('b', 'products_v3', undefined, 2, false)];
    const t = await setUp(jobs, 'products_v1', ['products_v1', 'products_v2', 'products_v3']);
    t.setNow(3);
    expect(await t.sweeper.sweepOnce()).toEqual(['products_v2']);
    t.setNow(26.1);
    expect(await t.sweeper.sweepOnce()).toEqual(['products_v3']);
    expect([...t.index.collections.keys()]).toEqual(['products_v1']);
  });

  it('never drops a generation being filled or one no record explains, and does not sweep while a job runs here', async () => {
    const t = await setUp([rebuildJob('a', 'products_v3', 'products_v2', 1)], 'products_v3', ['products_v1', 'products_v2', 'products_v3', 'products_v4'], {
      generations: 0,
      maxAgeMs: 0,
    });
    t.setNow(2);
    t.busy.job = { jobId: 'x', state: 'running', total: 0, done: 0, collection: 'products_v4' };
    expect(await t.sweeper.sweepOnce()).toEqual([]);
    t.busy.job = undefined;
    // v1: no record (unknown), v4: newer than the live one (building): both stay; v2 (retained, 0 kept) goes.
    expect(await t.sweeper.sweepOnce()).toEqual(['products_v2']);
    expect([...t.index.collections.keys()]).toEqual(['products_v1', 'products_v3', 'products_v4']);
  });

  describe(rollbackTarget.name, () => {
    const generation = (name: string, status: GenerationInfo['status'], modelId: string, swappedOutAt?: string): GenerationInfo => ({
      name,
      status,
      modelId,
      dimension: FAKE_MODEL.dimension,
      productCount: 3,
      pointCount: 3,
      receivesWrites: true,
      ...(swappedOutAt ? { swappedOutAt } : {}),
    });
    const generations = [
      generation('products_v1', 'retained', 'next-model@2', at(1)),
      generation('products_v2', 'retained', FAKE_MODEL.modelId, at(2)),
      generation('products_v3', 'live', FAKE_MODEL.modelId),
    ];
    const loaded = (...modelIds: string[]) => ({ defaultModelId: FAKE_MODEL.modelId, isLoaded: (modelId: string) => modelIds.includes(modelId) });

    it('picks the retained generation that served most recently, or the one named', () => {
      expect(rollbackTarget(generations, loaded(FAKE_MODEL.modelId)).name).toBe('products_v2');
      expect(rollbackTarget(generations, loaded(FAKE_MODEL.modelId, 'next-model@2'), 'products_v1').name).toBe('products_v1');
    });

    it('refuses a generation whose model is not loaded, naming it and how to load it', () => {
      expect(() => rollbackTarget(generations, loaded(FAKE_MODEL.modelId), 'products_v1')).toThrow(
        `products_v1 holds vectors of model next-model@2, which the embedder has not loaded (its default is ${FAKE_MODEL.modelId}): ` +
          'load it beside the default with ROLLOUT_MODEL_DIR (Helm: embedder.rolloutModel), then roll back again',
      );
    });

    it('refuses the live generation and one that never served', () => {
      const rejected = [...generations, generation('products_v4', 'rejected', FAKE_MODEL.modelId)];
      expect(() => rollbackTarget(rejected, loaded(FAKE_MODEL.modelId), 'products_v3')).toThrow('products_v3 is already live');
      expect(() => rollbackTarget(rejected, loaded(FAKE_MODEL.modelId), 'products_v4')).toThrow('products_v4 is rejected, not a retained generation');
    });
  });
});
