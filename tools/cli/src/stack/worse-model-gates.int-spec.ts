/**
 * The swap gates against a worse model (issue #20): the live generation is built with the bundled
 * clip-mini; the embedder also loads a random-weight CLIP as its rollout model, and a whole-catalog
 * reindex into that model is refused by catalog_recall (its photos and titles no longer match), with
 * both generations' figures recorded; the alias stays on clip-mini's generation and the new one is kept
 * as rejected. Forced, the worse generation swaps in (what the gate stopped). Then both models are
 * written at once (the retained clip-mini generation and the live random one, at different input
 * sizes): a new photo is downloaded from the image host once for both.
 *
 * It lives here, not in services/ingestion, because it needs model-tools' fixture hub (scope:tools, which
 * no service may import) as well as ingestion's fixtures; the CLI may depend on both.
 *
 * real: the Apache Kafka broker, the tiny random CLIP pulled by pullModel from model-tools' local fake
 * hub in the hub's layout, the embedder (bundled model + rollout model, CPU) and search as child
 * processes started from their `main.ts` (the @vsearch/testing harness), ingestion in process with its
 * real adapters (startIngestionService), a local HTTP image host.
 * mock: nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { ReindexTopicMessage } from '@vsearch/contracts';
import { KafkaEventLog } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import type { RunningIngestionService } from '@vsearch/ingestion-service';
import type { ImageHost } from '@vsearch/ingestion-service/testing';
import { BUNDLED_MODEL_DIR } from '@vsearch/model';
import { pullModel } from '@vsearch/model-tools';
import { tinyClipHub, type FakeHub } from '@vsearch/model-tools/testing';
import { startService, waitFor, type RunningService } from '@vsearch/testing';

jest.setTimeout(300_000);

/**
 * Enough products that a model matching nothing still finds few of them in a top 10 by chance
 * (about 10/PRODUCTS), far below what clip-mini finds.
 */
const PRODUCTS = 32;
const JOB_DEADLINE_MS = 180_000;
const REPO = 'test-org/tiny-clip-random';

describe('swap gates against a worse model', () => {
  let hub: FakeHub;
  let embedder: RunningService;
  let search: RunningService;
  let searchClient: SearchClient;
  let ingestion: RunningIngestionService;
  let log: KafkaEventLog;
  let host: ImageHost;
  let prefix: string;
  let catalogDir: string;
  let catalogLines: string[];
  let servingId: string;
  let worseId: string;
  const dirs: string[] = [];
  const tempDir = (label: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), label));
    dirs.push(dir);
    return dir;
  };

  let fixtures: typeof import('@vsearch/ingestion-service/testing');

  beforeAll(async () => {
    // Imported as the CLI's stack does (services.ts): the services stay lazy-loaded for the CLI's own start-up.
    const { startIngestionService } = await import('@vsearch/ingestion-service');
    fixtures = await import('@vsearch/ingestion-service/testing');
    const { generateTestCatalog, ingestionStackEnv, startImageHost } = fixtures;
    const brokers = await kafkaBrokersForTests();
    prefix = uniqueTopicPrefix('worse');
    hub = tinyClipHub(REPO);
    await hub.start();
    const worse = await pullModel({ name: 'tiny-clip-random', modelsDir: tempDir('worse-models-'), repo: REPO, endpoint: hub.endpoint });
    catalogDir = tempDir('worse-catalog-');
    host = await startImageHost(path.join(catalogDir, 'images'));
    const catalog = await generateTestCatalog(2011, PRODUCTS, host.baseUrl, catalogDir);
    catalogLines = catalog.lines;
    [embedder, search] = await Promise.all([
      startService('embedder', { env: { MODEL_DIR: BUNDLED_MODEL_DIR, ROLLOUT_MODEL_DIR: worse.dir } }),
      startService('search', { dataDir: tempDir('worse-search-') }),
    ]);
    const embedderClient = new EmbedderClient({ address: embedder.address, defaultDeadlineMs: 30_000 });
    const loaded = (await embedderClient.getModelInfo()).loadedModelIds ?? [];
    embedderClient.close();
    [servingId, worseId] = loaded;
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 10_000 });
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'worse-model-test' });
    ingestion = await startIngestionService({
      ...ingestionStackEnv({
        brokers,
        prefix,
        embedderAddress: embedder.address,
        searchAddress: search.address,
        dataDir: tempDir('worse-ingestion-'),
        imageHostPort: host.port,
      }),
      COLLECTIONS_REFRESH_MS: 500,
      // A sweep would only drop what this test inspects: retention is far longer than the test.
      RETAIN_GENERATIONS: 2,
      LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'error',
    });
    await log.ensureTopics([{ topic: `${prefix}catalog.products.v1`, partitions: 3 }]);
    await fixtures.publishTestCatalog(log, `${prefix}catalog.products.v1`, catalog);
    await waitFor(
      `all ${PRODUCTS} products in products_v1`,
      async () => (await fixtures.storeCounts(searchClient)).products === PRODUCTS,
      JOB_DEADLINE_MS,
      500,
    );
  });

  afterAll(async () => {
    await ingestion?.close();
    searchClient?.close();
    await log?.close();
    await Promise.all([embedder?.stop(), search?.stop()]);
    await host?.close();
    await hub?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const runJob = (request: ReindexTopicMessage) => fixtures.runReindexJob(log, `${prefix}catalog.reindex.v1`, ingestion.port, request, JOB_DEADLINE_MS);
  const generations = () => fixtures.listGenerations(ingestion.port);

  const now = () => new Date().toISOString();

  it('refuses a generation of the random-weight model on catalog recall, keeps clip-mini live, and swaps it only when forced', async () => {
    expect(servingId).toMatch(/^clip-mini@/);
    expect(worseId).toMatch(/^tiny-clip-random@/);

    const refused = await runJob({ type: 'reindex.requested', jobId: 'worse-refused', modelId: worseId, requestedAt: now() });
    expect(refused).toMatchObject({ state: 'failed', kind: 'rebuild', collection: 'products_v2', modelId: worseId });
    expect(refused.error).toContain('products_v2 failed its gates');
    const gate = (name: string) => refused.gates!.gates.find((result) => result.gate === name)!;
    // Every product and photo made it: only the model is worse.
    expect(gate('product_count')).toMatchObject({ passed: true, measured: PRODUCTS });
    expect(gate('failed_images').passed).toBe(true);
    const recall = gate('catalog_recall');
    expect(recall.passed).toBe(false);
    // Both figures recorded: the new generation's recall@10 (its own model's query vectors) well below clip-mini's.
    expect(recall.live).toBeGreaterThan(0.5);
    expect(recall.measured).toBeLessThan(recall.live! - 0.2);
    // The alias stays on clip-mini's generation; the rejected one is kept, unwritten, for inspection.
    expect(await fixtures.storeCounts(searchClient)).toMatchObject({ collection: 'products_v1', products: PRODUCTS });
    expect((await generations()).map((generation) => [generation.name, generation.status, generation.modelId, generation.receivesWrites])).toEqual([
      ['products_v1', 'live', servingId, true],
      ['products_v2', 'rejected', worseId, false],
    ]);

    const forced = await runJob({ type: 'reindex.requested', jobId: 'worse-forced', modelId: worseId, force: { reason: 'gate check' }, requestedAt: now() });
    expect(forced).toMatchObject({ state: 'done', collection: 'products_v3', previousCollection: 'products_v1', modelId: worseId });
    expect(forced.gates).toMatchObject({ passed: false, forcedReason: 'gate check' });
    expect(await fixtures.storeCounts(searchClient)).toMatchObject({ collection: 'products_v3', products: PRODUCTS });
  });

  it("downloads a new photo once while both models are written, and stores it in each model's generation", async () => {
    // After the forced swap the random model's generation is live and clip-mini's is retained, and both are written
    // (each model is loaded): the same event needs vectors of both models, at their different input sizes.
    const event = JSON.parse(catalogLines[0]) as { productId: string; version: number; images: { id: string; url: string }[] };
    // New bytes (mirrored), so neither model finds the photo in its embedding cache.
    const first = new URL(event.images[0].url).pathname.replace(/^\/catalog-images\//, '');
    const photo = `${event.productId}/rollout-photo.jpg`;
    await sharp(path.join(catalogDir, 'images', first))
      .flop()
      .jpeg()
      .toFile(path.join(catalogDir, 'images', photo));
    const updated = { ...event, version: event.version + 1, images: [{ id: 'rollout-photo', url: `${host.baseUrl}/${photo}` }] };
    await log.publish(`${prefix}catalog.products.v1`, [{ key: event.productId, value: JSON.stringify(updated) }]);

    const storedIn = async (collection: string) => (await searchClient.getProduct(event.productId, { collection }))?.images.map((image) => image.imageId);
    await waitFor(
      'the new photo in both generations',
      async () => (await storedIn('products_v1'))?.[0] === 'rollout-photo' && (await storedIn('products_v3'))?.[0] === 'rollout-photo',
      JOB_DEADLINE_MS,
      250,
    );
    // Search refuses another model's vectors, so each generation holds its own model's; the host saw one download.
    expect(host.hits.filter((hit) => hit.endsWith(`/${photo}`))).toHaveLength(1);
  });
});
