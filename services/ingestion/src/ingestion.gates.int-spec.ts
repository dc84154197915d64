/**
 * The gated swap and rollback end to end: a whole-catalog reindex after the image host lost some
 * products' photos is refused by its gates (the live generation keeps serving, the new one is kept,
 * the job fails with each gate's figures, the golden set names the miss); forced, it swaps; a
 * rollback swaps back to the retained generation, which kept receiving live writes meanwhile,
 * and search answers from it again.
 *
 * real: the Apache Kafka broker (catalog, reindex and golden-query topics), the embedder (bundled
 * model, CPU) and search (embedded store) as child processes started from their `main.ts` (the
 * @vsearch/testing harness), ingestion in process with its real adapters (startIngestionService),
 * a local HTTP image host whose files this test deletes.
 * mock: nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReindexTopicMessage } from '@vsearch/contracts';
import { GoldenQueryLog, KafkaEventLog } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { SearchClient } from '@vsearch/grpc-clients';
import { startService, waitFor, type RunningService } from '@vsearch/testing';
import { startIngestionService, type RunningIngestionService } from './index';
import {
  generateTestCatalog,
  ingestionStackEnv,
  publishTestCatalog,
  listGenerations,
  runReindexJob,
  startImageHost,
  storeCounts,
  type ImageHost,
  type TestCatalog,
} from './testing/fixtures';

jest.setTimeout(300_000);

const PRODUCTS = 16;
/** Products whose photos the image host loses before the reindex: a quarter of the catalog. */
const LOST = 4;
/** Far beyond a reindex of 16 products here (cached embeddings, 16 title queries per generation); a loaded 2-core machine may be 10× slower. */
const JOB_DEADLINE_MS = 180_000;

interface CatalogLine {
  productId: string;
  title: string;
  images: { url: string }[];
}

describe('gated swap and rollback', () => {
  let embedder: RunningService;
  let search: RunningService;
  let searchClient: SearchClient;
  let ingestion: RunningIngestionService;
  let log: KafkaEventLog;
  let host: ImageHost;
  let catalog: TestCatalog;
  let lines: CatalogLine[];
  let prefix: string;
  const dirs: string[] = [];
  const tempDir = (label: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), label));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    const brokers = await kafkaBrokersForTests();
    prefix = uniqueTopicPrefix('gates');
    const catalogDir = tempDir('gates-catalog-');
    host = await startImageHost(path.join(catalogDir, 'images'));
    catalog = await generateTestCatalog(2207, PRODUCTS, host.baseUrl, catalogDir);
    lines = catalog.lines.map((line) => JSON.parse(line) as CatalogLine);
    [embedder, search] = await Promise.all([startService('embedder'), startService('search', { dataDir: tempDir('gates-search-') })]);
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 10_000 });
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'gates-test' });
    ingestion = await startIngestionService({
      ...ingestionStackEnv({
        brokers,
        prefix,
        embedderAddress: embedder.address,
        searchAddress: search.address,
        dataDir: tempDir('gates-ingestion-'),
        imageHostPort: host.port,
      }),
      COLLECTIONS_REFRESH_MS: 500,
      FETCH_ATTEMPTS: 1,
      // A sweep would only drop what this test inspects: retention is far longer than the test.
      RETAIN_GENERATIONS: 2,
      LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'error',
    });
    await log.ensureTopics([{ topic: `${prefix}catalog.products.v1`, partitions: 3 }]);
    await publishTestCatalog(log, `${prefix}catalog.products.v1`, catalog);
    await waitFor(`all ${PRODUCTS} products in products_v1`, async () => (await storeCounts(searchClient)).products === PRODUCTS, JOB_DEADLINE_MS, 500);
  });

  afterAll(async () => {
    await ingestion?.close();
    searchClient?.close();
    await log?.close();
    await Promise.all([embedder?.stop(), search?.stop()]);
    await host?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const runJob = (request: ReindexTopicMessage) => runReindexJob(log, `${prefix}catalog.reindex.v1`, ingestion.port, request, JOB_DEADLINE_MS);
  const generations = () => listGenerations(ingestion.port);

  const now = () => new Date().toISOString();

  it('refuses a reindex that lost products, swaps it when forced, and rolls back to the retained generation', async () => {
    const lost = lines.slice(0, LOST);
    await new GoldenQueryLog(log, `${prefix}catalog.golden-queries.v1`).put({
      queries: [lines[LOST], lost[0]].map((line) => ({ query: line.title, expectedProductIds: [line.productId] })),
      updatedAt: now(),
    });
    // The image host loses every photo of the first products: the rebuild cannot index them.
    for (const line of lost)
      for (const image of line.images)
        rmSync(path.join(catalog.dir, 'images', decodeURIComponent(new URL(image.url).pathname.replace(/^\/catalog-images\//, ''))));

    const refused = await runJob({ type: 'reindex.requested', jobId: 'gates-refused', requestedAt: now() });
    expect(refused).toMatchObject({ state: 'failed', kind: 'rebuild', collection: 'products_v2' });
    expect(refused.error).toContain('products_v2 failed its gates');
    const gate = (name: string) => refused.gates!.gates.find((result) => result.gate === name)!;
    expect(gate('product_count')).toMatchObject({ passed: false, measured: PRODUCTS - LOST, required: PRODUCTS, live: PRODUCTS });
    expect(gate('golden_recall')).toMatchObject({ passed: false, measured: 0.5, live: 1 });
    expect(gate('golden_recall').detail).toContain(lost[0].title.slice(0, 20));
    expect(gate('catalog_recall').passed).toBe(false);
    expect(gate('catalog_recall').measured).toBeLessThan(gate('catalog_recall').live!);
    // Live keeps serving every product; the rejected generation is kept, unwritten, for inspection.
    expect(await storeCounts(searchClient)).toMatchObject({ collection: 'products_v1', products: PRODUCTS });
    expect((await generations()).map((generation) => [generation.name, generation.status, generation.receivesWrites])).toEqual([
      ['products_v1', 'live', true],
      ['products_v2', 'rejected', false],
    ]);

    const forced = await runJob({ type: 'reindex.requested', jobId: 'gates-forced', force: { reason: 'the supplier withdrew them' }, requestedAt: now() });
    expect(forced).toMatchObject({ state: 'done', collection: 'products_v3', previousCollection: 'products_v1' });
    expect(forced.gates).toMatchObject({ passed: false, forcedReason: 'the supplier withdrew them' });
    expect(await storeCounts(searchClient)).toMatchObject({ collection: 'products_v3', products: PRODUCTS - LOST });

    // A live write after the swap reaches the retained generation as well as the live one.
    const changed = { ...JSON.parse(catalog.lines[LOST]), version: 2, title: 'Renamed after the forced swap', occurredAt: now() };
    await log.publish(`${prefix}catalog.products.v1`, [{ key: changed.productId, value: JSON.stringify(changed) }]);
    await waitFor(
      'the update in both generations',
      async () => (await searchClient.getProduct(changed.productId, { collection: 'products_v1' }))?.product.version === 2,
      JOB_DEADLINE_MS,
      300,
    );

    const back = await runJob({ type: 'rollback.requested', jobId: 'gates-rollback', requestedAt: now() });
    expect(back).toMatchObject({ state: 'done', kind: 'rollback', collection: 'products_v1', previousCollection: 'products_v3' });
    const page = await searchClient.search({ text: lost[0].title, mode: 'keyword', limit: 10 });
    expect(page.collection).toBe('products_v1');
    expect(page.hits.map((hit) => hit.product.productId)).toContain(lost[0].productId);
    expect((await searchClient.getProduct(changed.productId))?.product.title).toBe('Renamed after the forced swap');
    expect((await generations()).map((generation) => [generation.name, generation.status])).toEqual([
      ['products_v1', 'live'],
      ['products_v2', 'rejected'],
      ['products_v3', 'retained'],
    ]);
  });
});
