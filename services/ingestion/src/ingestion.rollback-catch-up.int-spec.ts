/**
 * A rollback catches its target up from the catalog log, across models: the retained generation
 * holds the vectors of a model the embedder unloaded for a while, so it missed an update and a
 * delete; a rollback is refused while its model is not loaded (naming it and how to load it), and
 * once the model is loaded again it writes what the generation missed with that model's vectors,
 * fetching nothing for the products it already held current, then swaps; search answers a vector
 * of that model from it.
 *
 * The models: the embedder's default is a copy of the bundled clip-mini under another version
 * (the same dimension, only the model id differs); the bundled model is loaded beside it
 * (ROLLOUT_MODEL_DIR) in the first and last phase, and not in between (the embedder restarted on
 * the same port without it).
 *
 * real: the Apache Kafka broker (catalog, reindex and job topics), the embedder (two models, CPU)
 * and search (embedded store) as child processes started from their `main.ts` (the
 * @vsearch/testing harness), ingestion in process with its real adapters (startIngestionService),
 * sharp (the replacement photo), a local HTTP image host.
 * mock: nothing.
 */
import path from 'node:path';
import sharp from 'sharp';
import type { ReindexTopicMessage } from '@vsearch/contracts';
import { KafkaEventLog } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { BUNDLED_MODEL_DIR, loadModelDirectory, modelId } from '@vsearch/model';
import { copyModelAsVersion, metricValue, startService, temporaryDirectories, waitFor, type RunningService } from '@vsearch/testing';
import { startIngestionService, type RunningIngestionService } from './index';
import {
  generateTestCatalog,
  ingestionStackEnv,
  publishTestCatalog,
  listGenerations,
  runReindexJob,
  startImageHost,
  type ImageHost,
  type TestCatalog,
} from './testing/fixtures';

jest.setTimeout(300_000);

const PRODUCTS = 6;
/** Far beyond what these jobs take here (6 products); a loaded 2-core machine may be 10× slower. */
const DEADLINE_MS = 120_000;

const bundled = loadModelDirectory(BUNDLED_MODEL_DIR);
/** The retained generation's model: the bundled one, loaded beside the default only at times. */
const RETAINED_MODEL = bundled.id;
/** The embedder's default: the same weights under another version, so only the model id differs. */
const NEXT_VERSION = `${bundled.manifest.version}-next`;
const NEXT_MODEL = modelId({ ...bundled.manifest, version: NEXT_VERSION });

interface CatalogLine {
  productId: string;
  version: number;
  title: string;
  images: { id: string; url: string }[];
}

describe('rollback catches its target generation up', () => {
  let embedder: RunningService;
  let search: RunningService;
  let searchClient: SearchClient;
  let ingestion: RunningIngestionService;
  let log: KafkaEventLog;
  let host: ImageHost;
  let catalog: TestCatalog;
  let lines: CatalogLine[];
  let prefix: string;
  let nextModelDir: string;
  const dirs = temporaryDirectories();

  /** The embedder on its port, with the bundled model loaded beside the default or not. */
  async function restartEmbedder(withRetainedModel: boolean): Promise<void> {
    const ports = embedder ? { port: embedder.port, metricsPort: embedder.metricsPort } : undefined;
    await embedder?.stop();
    embedder = await startService('embedder', {
      ports,
      env: { MODEL_DIR: nextModelDir, ...(withRetainedModel ? { ROLLOUT_MODEL_DIR: BUNDLED_MODEL_DIR } : {}), INFERENCE_WORKERS: 1, INTRA_OP_THREADS: 1 },
    });
  }

  /** Ingestion's write targets (readiness), once they do or do not include `collection`. */
  async function waitForWriteTarget(collection: string, included: boolean): Promise<void> {
    await waitFor(
      `${collection} ${included ? 'among' : 'not among'} ingestion's write targets`,
      async () => {
        const readiness = (await (await fetch(`http://127.0.0.1:${ingestion.port}/readyz`)).json()) as { collections?: string[] };
        return readiness.collections?.includes(collection) === included && readiness.collections.length > 0;
      },
      DEADLINE_MS,
      300,
    );
  }

  beforeAll(async () => {
    const brokers = await kafkaBrokersForTests();
    prefix = uniqueTopicPrefix('rollback');
    const catalogDir = dirs.make('rollback-catalog-');
    host = await startImageHost(path.join(catalogDir, 'images'));
    catalog = await generateTestCatalog(2311, PRODUCTS, host.baseUrl, catalogDir);
    lines = catalog.lines.map((line) => JSON.parse(line) as CatalogLine);
    nextModelDir = path.join(dirs.make('rollback-models-'), 'clip-mini-next');
    copyModelAsVersion(BUNDLED_MODEL_DIR, nextModelDir, NEXT_VERSION);
    [, search] = await Promise.all([restartEmbedder(true), startService('search', { dataDir: dirs.make('rollback-search-') })]);
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 10_000 });
    // The first generation holds the bundled model's vectors (ingestion fills the alias's collection with its model).
    await searchClient.swapAlias('products', await searchClient.createGeneration(RETAINED_MODEL, bundled.manifest.embeddingDimension, { name: 'products_v1' }));
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'rollback-test' });
    ingestion = await startIngestionService({
      ...ingestionStackEnv({
        brokers,
        prefix,
        embedderAddress: embedder.address,
        searchAddress: search.address,
        dataDir: dirs.make('rollback-ingestion-'),
        imageHostPort: host.port,
      }),
      COLLECTIONS_REFRESH_MS: 500,
      GATES_ENABLED: 'false',
      RETAIN_GENERATIONS: 2,
      LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'error',
    });
    await log.ensureTopics([{ topic: `${prefix}catalog.products.v1`, partitions: 2 }]);
    await publishTestCatalog(log, `${prefix}catalog.products.v1`, catalog);
    await waitFor(
      `all ${PRODUCTS} products in products_v1`,
      async () => (await searchClient.listCollections()).find((collection) => collection.name === 'products_v1')?.productCount === PRODUCTS,
      DEADLINE_MS,
      500,
    );
  });

  afterAll(async () => {
    await ingestion?.close();
    searchClient?.close();
    await log?.close();
    await Promise.all([embedder?.stop(), search?.stop()]);
    await host?.close();
    dirs.removeAll();
  });

  const runJob = (request: ReindexTopicMessage) => runReindexJob(log, `${prefix}catalog.reindex.v1`, ingestion.port, request, DEADLINE_MS);
  const now = () => new Date().toISOString();
  const embeddedImages = async () => metricValue(await (await fetch(`http://127.0.0.1:${ingestion.port}/metrics`)).text(), 'ingestion_embedded_images_total');

  it('refuses while the generation’s model is not loaded, then writes what it missed with that model and swaps', async () => {
    const rebuilt = await runJob({ type: 'reindex.requested', jobId: 'to-next', requestedAt: now() });
    expect(rebuilt).toMatchObject({
      state: 'done',
      collection: 'products_v2',
      previousCollection: 'products_v1',
      modelId: NEXT_MODEL,
    });

    // The bundled model unloaded: products_v1 is no longer written.
    await restartEmbedder(false);
    await waitForWriteTarget('products_v1', false);
    const [changed, removed] = [lines[0], lines[1]];
    const replacementName = 'replacement-photo.jpg';
    const firstPhoto = path.join(catalog.dir, 'images', decodeURIComponent(new URL(changed.images[0].url).pathname.replace(/^\/catalog-images\//, '')));
    await sharp(firstPhoto)
      .flop()
      .jpeg()
      .toFile(path.join(catalog.dir, 'images', replacementName));
    const update = {
      ...changed,
      version: 2,
      title: 'Renamed while products_v1 was not written',
      images: [{ id: 'replacement', url: `${host.baseUrl}/${replacementName}` }],
      occurredAt: now(),
    };
    await log.publish(`${prefix}catalog.products.v1`, [
      { key: changed.productId, value: JSON.stringify(update) },
      { key: removed.productId, value: JSON.stringify({ type: 'product.deleted', productId: removed.productId, version: 2, occurredAt: now() }) },
    ]);
    await waitFor(
      'the update and the delete in the live generation',
      async () => (await searchClient.getProduct(changed.productId))?.product.version === 2 && (await searchClient.getProduct(removed.productId)) === undefined,
      DEADLINE_MS,
      300,
    );
    expect((await searchClient.getProduct(changed.productId, { collection: 'products_v1' }))?.product.version).toBe(1);
    expect(await searchClient.getProduct(removed.productId, { collection: 'products_v1' })).toBeDefined();

    const refused = await runJob({ type: 'rollback.requested', jobId: 'back-unloaded', to: 'products_v1', requestedAt: now() });
    expect(refused.state).toBe('failed');
    expect(refused.error).toContain(`products_v1 holds vectors of model ${RETAINED_MODEL}, which the embedder has not loaded`);
    expect(refused.error).toContain('ROLLOUT_MODEL_DIR');

    await restartEmbedder(true);
    await waitForWriteTarget('products_v1', true);
    const hitsBefore = host.hits.length;
    const embeddedBefore = await embeddedImages();
    const back = await runJob({ type: 'rollback.requested', jobId: 'back', requestedAt: now() });

    expect(back).toMatchObject({ state: 'done', kind: 'rollback', collection: 'products_v1', previousCollection: 'products_v2', modelId: RETAINED_MODEL });
    expect(back.caughtUp).toBeGreaterThanOrEqual(1);
    expect((await searchClient.getProduct(changed.productId))?.product).toMatchObject({ version: 2, title: update.title });
    expect(await searchClient.getProduct(removed.productId)).toBeUndefined();
    // Products products_v1 held current cost nothing: the only photo fetched and embedded is the changed product's new one.
    expect(new Set(host.hits.slice(hitsBefore))).toEqual(new Set([`/catalog-images/${replacementName}`]));
    expect((await embeddedImages()) - embeddedBefore).toBeLessThanOrEqual(update.images.length);

    // Search answers a query vector of the bundled model from it (the model guard accepts it), with the new title.
    const embedderClient = new EmbedderClient({ address: embedder.address, defaultDeadlineMs: 30_000 });
    try {
      const [vector] = await embedderClient.embedTexts([update.title], { modelId: RETAINED_MODEL });
      const page = await searchClient.search({ vector, text: update.title, modelId: RETAINED_MODEL, limit: PRODUCTS });
      expect(page.collection).toBe('products_v1');
      expect(page.hits[0]?.product).toMatchObject({ productId: changed.productId, title: update.title });
      expect(page.hits.map((hit) => hit.product.productId)).not.toContain(removed.productId);
    } finally {
      embedderClient.close();
    }
    expect((await listGenerations(ingestion.port)).map((generation) => [generation.name, generation.status])).toEqual([
      ['products_v1', 'live'],
      ['products_v2', 'retained'],
    ]);
  });
});
