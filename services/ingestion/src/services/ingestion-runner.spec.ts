import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileEventLog } from '@vsearch/event-log';
import { createLogger } from '@vsearch/observability';
import { Registry } from 'prom-client';
import { loadIngestionConfig } from '../config';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { PRODUCTS_ALIAS } from '../ports';
import { FAKE_MODEL, FakeEmbedder, FakeProductIndex } from '../testing/fakes';
import type { CatalogEventHandler } from './catalog-event.handler';
import { CollectionRegistry } from './collection-registry';
import { IngestionRunner } from './ingestion-runner';
import { ModelTracker } from './model-tracker';
import type { ReindexService } from './reindex.service';

const logger = createLogger('ingestion-test', 'silent');

describe(IngestionRunner.name, () => {
  let dir: string;
  let runner: IngestionRunner | undefined;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'runner-'))));
  afterEach(async () => {
    await runner?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function setUp(index = new FakeProductIndex(), embedder = new FakeEmbedder()) {
    const config = loadIngestionConfig({ DATA_DIR: dir, KAFKA_BROKERS: '', COLLECTIONS_REFRESH_MS: 60_000 }, {});
    const log = new FileEventLog({ dir: path.join(dir, 'event-log'), sync: false });
    const handler = { handleBatch: async () => undefined } as unknown as CatalogEventHandler;
    const reindex = { stop: () => undefined, run: async () => undefined } as unknown as ReindexService;
    runner = new IngestionRunner(
      config,
      log,
      new ModelTracker(embedder, logger),
      new CollectionRegistry(index, logger),
      handler,
      reindex,
      new IngestionMetrics(new Registry()),
      logger,
    );
    return { index, embedder, runner };
  }

  it('creates the collection and alias on a first start and is ready', async () => {
    const { index, runner } = setUp();
    await runner.start();
    expect(runner.readiness()).toEqual({ ready: true, missing: [], problems: [], modelId: FAKE_MODEL.modelId, collections: [PRODUCTS_ALIAS] });
    expect(index.aliases.get(PRODUCTS_ALIAS)).toBe('products_v1');
    expect(index.collections.get('products_v1')).toMatchObject({ modelId: FAKE_MODEL.modelId, dimension: FAKE_MODEL.dimension });
  });

  it('names the dependencies that do not answer', async () => {
    const index = new FakeProductIndex();
    const embedder = new FakeEmbedder();
    embedder.down = true;
    index.down = true;
    const { runner } = setUp(index, embedder);
    await runner.start();
    expect(runner.readiness()).toMatchObject({ ready: false, missing: ['embedder', 'search'] });
  });

  it('is not ready when the aliased collection holds another model', async () => {
    const index = new FakeProductIndex();
    const other = await index.createCollection('another-model@2', 512);
    await index.swapAlias(PRODUCTS_ALIAS, other);
    const { runner } = setUp(index);
    await runner.start();
    const readiness = runner.readiness();
    expect(readiness).toMatchObject({ ready: false, missing: [], collections: [] });
    expect(readiness.problems[0]).toContain('another-model@2');
  });
});
