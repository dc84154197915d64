/**
 * real: an Apache Kafka broker (KAFKA_BROKERS or tools/kafka/kafka.sh), the embedded event log
 * (files under a temp DATA_DIR), the embedder (bundled model, CPU) and search (embedded store)
 * as child processes started from their `main.ts` (the @vsearch/testing harness), a local HTTP
 * image host with a generated catalog, sharp, the ingestion service itself (in process).
 * mock: nothing. Kafka topics and consumer groups carry a prefix of their own.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DLQ_HEADERS, KafkaEventLog, publishCatalogFile, type ConsumedEvent, type EventConsumer } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { freePort, startDelayingProxy, startService, waitFor, type RunningService } from '@vsearch/testing';
import { startIngestionService, type RunningIngestionService } from './index';
import { generateTestCatalog, ingestionStackEnv, startImageHost, storeCounts, type ImageHost } from './testing/fixtures';

jest.setTimeout(180_000);

function ssrfEvent(productId: string, url: string): string {
  return JSON.stringify({
    type: 'product.upserted',
    productId,
    version: 1,
    title: `SSRF attempt ${productId}`,
    categories: ['women', 'dresses'],
    price: { amount: 1, currency: 'EUR' },
    inStock: true,
    images: [{ id: 'img', url }],
    occurredAt: new Date().toISOString(),
  });
}

describe('ingestion with the embedder and search', () => {
  let brokers: string;
  let embedder: RunningService;
  let search: RunningService;
  let searchClient: SearchClient;
  let host: ImageHost;
  let log: KafkaEventLog;
  let dataDir: string;
  let searchDataDir: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    brokers = await kafkaBrokersForTests();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-data-'));
    searchDataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-search-'));
    [embedder, search] = await Promise.all([startService('embedder'), startService('search', { dataDir: searchDataDir })]);
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 5_000 });
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'ingestion-int-test' });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    await log?.close();
    searchClient?.close();
    await Promise.all([embedder?.stop(), search?.stop()]);
    for (const dir of [dataDir, searchDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startIngestion(prefix: string, extra: Record<string, string | number> = {}): Promise<RunningIngestionService> {
    const service = await startIngestionService({
      ...ingestionStackEnv({
        brokers,
        prefix,
        embedderAddress: embedder.address,
        searchAddress: search.address,
        dataDir,
        imageHostPort: host.port,
      }),
      FETCH_ATTEMPTS: 2,
      FETCH_RETRY_BASE_MS: 50,
      COLLECTIONS_REFRESH_MS: 500,
      DEPENDENCY_RETRY_BASE_MS: 300,
      DEPENDENCY_RETRY_MAX_MS: 2_000,
      LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'error',
      ...extra,
    });
    cleanups.push(() => service.close());
    return service;
  }

  type Job = { state: string; total: number; done: number; collection: string; previousCollection?: string; finishedAt?: string };

  /** Follows a reindex job through ingestion's progress endpoint until it is done (a failed job fails the wait with its error). */
  async function waitForReindexJob(service: RunningIngestionService, jobId: string): Promise<Job> {
    let job: Job | undefined;
    await waitFor(
      `reindex job ${jobId} to finish`,
      async () => {
        const response = await fetch(`http://127.0.0.1:${service.port}/internal/reindex/${jobId}`);
        job = response.status === 200 ? ((await response.json()) as Job) : undefined;
        if (job?.state === 'failed') throw new Error(`reindex failed: ${JSON.stringify(job)}`);
        return job?.state === 'done';
      },
      90_000,
      300,
    );
    return job!;
  }

  const metricsText = async (service: RunningIngestionService) => (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
  /** Images this ingestion instance sent to the embedder so far. */
  const embeddedImages = async (service: RunningIngestionService) =>
    Number(/ingestion_embedded_images_total\{service="ingestion"\} (\d+)/.exec(await metricsText(service))?.[1] ?? 'NaN');

  /** A generated catalog served by a fresh image host (the describe's `host`), removed after the test. */
  async function servedCatalog(seed: number, count: number): Promise<{ dir: string; catalog: Awaited<ReturnType<typeof generateTestCatalog>> }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-catalog-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    // The host serves the catalog's images; its port is in the image URLs, so start it first.
    host = await startImageHost(path.join(dir, 'images'));
    cleanups.push(() => host.close());
    return { dir, catalog: await generateTestCatalog(seed, count, host.baseUrl, dir) };
  }

  async function collectDeadLetters(prefix: string): Promise<ConsumedEvent[]> {
    const letters: ConsumedEvent[] = [];
    const consumer: EventConsumer = log.createConsumer({ groupId: `${prefix}dlq-reader`, topics: [`${prefix}catalog.products.v1.dlq`] });
    await consumer.start(async (batch, control) => {
      letters.push(...batch.messages);
      await control.commit(batch.messages[batch.messages.length - 1].offset);
    });
    cleanups.push(() => consumer.stop());
    return letters;
  }

  it('indexes every product from Kafka, dead-letters a poison message and SSRF attempts, then applies updates, deletes and a reindex', async () => {
    const { catalog } = await servedCatalog(601, 24);

    const prefix = uniqueTopicPrefix('pipeline');
    const closedPort = await freePort();
    const ssrf = [
      ssrfEvent('ssrf-loopback', `http://127.0.0.1:${closedPort}/admin.jpg`),
      ssrfEvent('ssrf-metadata', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
      ssrfEvent('ssrf-redirect', `http://127.0.0.1:${host.port}/redirect?to=${encodeURIComponent('http://10.0.0.1/internal.jpg')}`),
      ssrfEvent('ssrf-ipv6', `http://[::1]:${closedPort}/x.jpg`),
      ssrfEvent('ssrf-decimal', 'http://2130706433/x.jpg'),
      ssrfEvent('ssrf-file', 'file:///etc/passwd'),
    ];
    const topic = `${prefix}catalog.products.v1`;
    await log.ensureTopics([{ topic, partitions: 3, config: { 'cleanup.policy': 'compact' } }]);
    const half = catalog.lines.length / 2;
    await log.publish(topic, [
      ...catalog.lines.slice(0, half).map((line, i) => ({ key: catalog.productIds[i], value: line })),
      { key: 'poison', value: '{"type":"product.upserted","productId":' },
      ...ssrf.map((value) => ({ key: (JSON.parse(value) as { productId: string }).productId, value })),
      ...catalog.lines.slice(half).map((line, i) => ({ key: catalog.productIds[half + i], value: line })),
    ]);

    const service = await startIngestion(prefix);
    const letters = await collectDeadLetters(prefix);

    await waitFor('every catalog product in the store', async () => (await storeCounts(searchClient)).products === catalog.productIds.length, 120_000, 500);
    await waitFor('7 dead letters', () => letters.length >= 7, 30_000);

    const counts = await storeCounts(searchClient);
    expect(counts).toMatchObject({ products: catalog.productIds.length, points: catalog.imageCount });
    for (const productId of catalog.productIds) expect(await searchClient.getProduct(productId)).toBeDefined();

    const byKey = new Map(letters.map((letter) => [letter.key, letter]));
    expect([...byKey.keys()].sort()).toEqual(['poison', 'ssrf-decimal', 'ssrf-file', 'ssrf-ipv6', 'ssrf-loopback', 'ssrf-metadata', 'ssrf-redirect']);
    expect(byKey.get('poison')!.headers).toMatchObject({
      [DLQ_HEADERS.stage]: 'parse',
      [DLQ_HEADERS.errorCode]: 'invalid_json',
      [DLQ_HEADERS.originalTopic]: topic,
    });
    expect(byKey.get('poison')!.value!.toString()).toBe('{"type":"product.upserted","productId":');
    expect(byKey.get('poison')!.headers[DLQ_HEADERS.reason]).toMatch(/JSON/);
    expect(byKey.get('ssrf-file')!.headers).toMatchObject({ [DLQ_HEADERS.stage]: 'parse', [DLQ_HEADERS.errorCode]: 'schema_violation' });
    for (const key of ['ssrf-loopback', 'ssrf-metadata', 'ssrf-redirect', 'ssrf-ipv6', 'ssrf-decimal']) {
      expect(byKey.get(key)!.headers).toMatchObject({ [DLQ_HEADERS.stage]: 'fetch', [DLQ_HEADERS.errorCode]: 'refused_address' });
      expect(byKey.get(key)!.headers[DLQ_HEADERS.originalOffset]).toMatch(/^\d+$/);
    }
    // The redirect was followed to the allowed host only; the private target was never contacted.
    expect(host.hits.filter((hit) => hit === '/redirect')).toHaveLength(1);

    const text = new EmbedderClient({ address: embedder.address });
    const [vector] = await text.embedTexts(['a dress']);
    const { modelId } = await text.getModelInfo();
    text.close();
    const page = await searchClient.search({ vector, modelId, limit: 5 });
    expect(page.hits.length).toBeGreaterThan(0);

    const ready = await fetch(`http://127.0.0.1:${service.port}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await metricsText(service);
    expect(metrics).toMatch(/ingestion_events_total\{outcome="indexed",service="ingestion"\} 24/);
    expect(metrics).toMatch(/ingestion_dead_letters_total\{stage="fetch",reason="refused_address",service="ingestion"\} 5/);

    // A price change with the same images updates the payload without the embedder; a delete removes the product.
    const embeddedBefore = await embeddedImages(service);
    const first = JSON.parse(catalog.lines[0]) as { productId: string; price: { amount: number; currency: string } };
    const second = catalog.productIds[1];
    await log.publish(topic, [
      {
        key: first.productId,
        value: JSON.stringify({ ...first, version: 2, price: { amount: 1234.5, currency: 'EUR' }, occurredAt: new Date().toISOString() }),
      },
      { key: second, value: JSON.stringify({ type: 'product.deleted', productId: second, version: 2, occurredAt: new Date().toISOString() }) },
    ]);
    await waitFor('the price change and the delete', async () => {
      const updated = await searchClient.getProduct(first.productId);
      return updated?.product.price.amount === 1234.5 && (await searchClient.getProduct(second)) === undefined;
    });
    expect(await embeddedImages(service)).toBe(embeddedBefore);
    expect(await metricsText(service)).toMatch(/ingestion_events_total\{outcome="attributes_updated",service="ingestion"\} 1/);
    expect((await searchClient.getProduct(first.productId))!.product.version).toBe(2);

    // A reindex over Kafka replays the compacted topic into a new generation: the deleted product stays deleted.
    const before = await storeCounts(searchClient);
    await log.publish(`${prefix}catalog.reindex.v1`, [
      { key: 'job-kafka-1', value: JSON.stringify({ type: 'reindex.requested', jobId: 'job-kafka-1', requestedAt: new Date().toISOString() }) },
    ]);
    const job = await waitForReindexJob(service, 'job-kafka-1');
    const after = await storeCounts(searchClient);
    expect(after.collection).toBe(job.collection);
    expect(after.collection).not.toBe(before.collection);
    expect(after.products).toBe(catalog.productIds.length - 1);
    expect(job.done).toBe(job.total);
    expect((await searchClient.getProduct(first.productId))!.product.price.amount).toBe(1234.5);
    expect(await searchClient.getProduct(second)).toBeUndefined();
  });

  it('runs on the embedded event log, and a reindex rebuilds a new generation from the topic, swaps the alias and reports progress', async () => {
    const { dir: catalogDir, catalog } = await servedCatalog(603, 12);
    const embeddedDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-embedded-'));
    cleanups.push(async () => rmSync(embeddedDir, { recursive: true, force: true }));

    const service = await startIngestionService({
      KAFKA_BROKERS: '',
      EMBEDDER_ADDR: embedder.address,
      SEARCH_ADDR: search.address,
      DATA_DIR: embeddedDir,
      INGESTION_PORT: 0,
      INGESTION_HOST: '127.0.0.1',
      IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${host.port}`,
      COLLECTIONS_REFRESH_MS: 500,
      // The live generation holds the other tests' products, which this topic never had: the
      // product-count gate would rightly refuse the swap. Gates: ingestion.gates.int-spec.ts.
      GATES_ENABLED: 'false',
      LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'error',
    });
    cleanups.push(() => service.close());
    expect(service.eventLog.kind).toBe('embedded');
    expect(await publishCatalogFile(service.eventLog, path.join(catalogDir, 'catalog.jsonl'))).toBe(12);
    const indexed = async () => (await Promise.all(catalog.productIds.map((id) => searchClient.getProduct(id)))).filter(Boolean).length;
    await waitFor('the embedded catalog indexed', async () => (await indexed()) === 12, 60_000, 300);
    const before = await storeCounts(searchClient);

    await service.eventLog.publishOne(
      'catalog.reindex.v1',
      'job-int-1',
      JSON.stringify({ type: 'reindex.requested', jobId: 'job-int-1', requestedAt: new Date().toISOString() }),
    );
    // A live event while the reindex runs reaches the new generation too (replayed or written to both).
    const live = JSON.parse(catalog.lines[0]) as Record<string, unknown>;
    await service.eventLog.publishOne('catalog.products.v1', 'live-1', JSON.stringify({ ...live, productId: 'live-1', occurredAt: new Date().toISOString() }));

    const job = await waitForReindexJob(service, 'job-int-1');
    expect(job).toMatchObject({ state: 'done', previousCollection: before.collection, finishedAt: expect.any(String) });
    expect(job.total).toBeGreaterThanOrEqual(12);
    expect(job.done).toBe(job.total);
    expect(job.collection).not.toBe(before.collection);

    const after = await storeCounts(searchClient);
    expect(after.collection).toBe(job.collection);
    // The new generation holds the topic's products (this catalog and the live one), not the other tests' products.
    expect(after.products).toBe(13);
    expect(await searchClient.getProduct('live-1')).toBeDefined();
    // The previous generation is retained for a rollback (the sweeper drops it after RETAIN_GENERATIONS_HOURS).
    const generations = (await (await fetch(`http://127.0.0.1:${service.port}/internal/generations`)).json()) as {
      generations: { name: string; status: string }[];
    };
    expect(generations.generations.find((generation) => generation.name === before.collection)?.status).toBe('retained');
    expect((await fetch(`http://127.0.0.1:${service.port}/internal/reindex/unknown-job`)).status).toBe(404);
  });

  it('indexes a product whose images partly fail with the image that worked, records the failure in search, and fetches it again on the next event', async () => {
    const { dir, catalog } = await servedCatalog(605, 2);
    const prefix = uniqueTopicPrefix('partial');
    const topic = `${prefix}catalog.products.v1`;
    const service = await startIngestion(prefix);
    const base = JSON.parse(catalog.lines[0]) as { title: string; images: Array<{ id: string; url: string }> };
    const good = base.images[0];
    // Same extension as the good image: the fetcher checks the content type against the bytes once the image exists.
    const missingPath = `partial-test/missing${path.extname(good.url)}`;
    const missingUrl = `${host.baseUrl}/${missingPath}`;
    const images = [
      { id: 'good', url: good.url },
      { id: 'missing', url: missingUrl },
    ];
    const event = (version: number) =>
      JSON.stringify({ ...base, productId: 'partial-1', version, categories: ['partial-test'], images, occurredAt: new Date().toISOString() });
    await log.publish(topic, [{ key: 'partial-1', value: event(1) }]);

    await waitFor('the partly failed product in search', async () => (await searchClient.getProduct('partial-1')) !== undefined, 60_000, 300);
    const stored = (await searchClient.getProduct('partial-1'))!;
    expect(stored.images).toEqual([{ imageId: 'good', imageUrl: good.url, content: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } }]);
    expect(stored.failedImages).toEqual([
      { imageId: 'missing', imageUrl: missingUrl, stage: 'fetch', errorCode: 'http_status', reason: expect.stringContaining('404') },
    ]);
    // Searchable, through the image that worked.
    const text = new EmbedderClient({ address: embedder.address });
    const [vector] = await text.embedTexts([base.title]);
    const { modelId } = await text.getModelInfo();
    text.close();
    const page = await searchClient.search({ vector, modelId, limit: 5, filter: { categories: ['partial-test'] } });
    expect(page.hits.map((hit) => [hit.product.productId, hit.matchedImageId])).toEqual([['partial-1', 'good']]);
    expect(await metricsText(service)).toMatch(/ingestion_events_total\{outcome="indexed_partial",service="ingestion"\} 1/);

    // The image appears at the host; the next event (same images, a new price) fetches it again instead of updating attributes only.
    mkdirSync(path.join(dir, 'images', 'partial-test'), { recursive: true });
    copyFileSync(path.join(dir, 'images', new URL(good.url).pathname.replace(/^\/catalog-images\//, '')), path.join(dir, 'images', missingPath));
    await log.publish(topic, [{ key: 'partial-1', value: event(2) }]);
    await waitFor('the failed image indexed on the next event', async () => (await searchClient.getProduct('partial-1'))?.product.version === 2, 60_000, 300);
    const retried = (await searchClient.getProduct('partial-1'))!;
    expect(retried.images.map((image) => image.imageId).sort()).toEqual(['good', 'missing']);
    expect(retried.failedImages).toEqual([]);
  });

  it('refreshes a filtered reindex in place over Kafka: every product stays searchable, only the matching ones are fetched and embedded again', async () => {
    const { catalog } = await servedCatalog(607, 10);
    const events = catalog.lines.map((line) => JSON.parse(line) as { productId: string; categories: string[]; images: Array<{ url: string }> });
    // A category some products have and others do not.
    const category = [...new Set(events.flatMap((event) => event.categories))].find((candidate) => {
      const matching = events.filter((event) => event.categories.includes(candidate)).length;
      return matching > 0 && matching < events.length;
    });
    if (!category)
      throw new Error(`catalog 607 has no category that only part of its products have: ${JSON.stringify(events.map((event) => event.categories))}`);
    const matching = events.filter((event) => event.categories.includes(category));

    const prefix = uniqueTopicPrefix('filtered');
    const topic = `${prefix}catalog.products.v1`;
    await log.ensureTopics([{ topic, partitions: 2, config: { 'cleanup.policy': 'compact' } }]);
    await log.publish(
      topic,
      catalog.lines.map((line, i) => ({ key: catalog.productIds[i], value: line })),
    );
    const service = await startIngestion(prefix);
    const indexed = async () => (await Promise.all(catalog.productIds.map((id) => searchClient.getProduct(id)))).filter(Boolean).length;
    await waitFor('the catalog indexed', async () => (await indexed()) === catalog.productIds.length, 60_000, 300);

    const before = await storeCounts(searchClient);
    const collectionsBefore = (await searchClient.listCollections()).map((collection) => collection.name);
    const embeddedBefore = await embeddedImages(service);
    const hitsBefore = host.hits.length;
    await log.publish(`${prefix}catalog.reindex.v1`, [
      {
        key: 'job-filtered-1',
        value: JSON.stringify({
          type: 'reindex.requested',
          jobId: 'job-filtered-1',
          filter: { categories: [category] },
          requestedAt: new Date().toISOString(),
        }),
      },
    ]);
    const job = await waitForReindexJob(service, 'job-filtered-1');

    // In place: same collection behind the alias, no generation created or dropped, nothing taken out of search.
    expect(job).toMatchObject({ collection: before.collection, total: catalog.productIds.length, done: catalog.productIds.length });
    expect(job.previousCollection).toBeUndefined();
    expect(await storeCounts(searchClient)).toEqual(before);
    expect((await searchClient.listCollections()).map((collection) => collection.name)).toEqual(collectionsBefore);
    expect(await indexed()).toBe(catalog.productIds.length);
    // Only the matching products' images were fetched again, and embedded again (the embedding cache held them all).
    const refetched = host.hits
      .slice(hitsBefore)
      .map((hit) => `${host.baseUrl.replace(/\/catalog-images$/, '')}${hit}`)
      .sort();
    expect(refetched).toEqual(matching.flatMap((event) => event.images.map((image) => image.url)).sort());
    const reembedded = (await embeddedImages(service)) - embeddedBefore;
    expect(reembedded).toBeGreaterThan(0);
    expect(reembedded).toBeLessThanOrEqual(refetched.length);
  });

  it('converges when two ingestion replicas start at once on a fresh search: one collection behind the alias, no orphan', async () => {
    const freshDataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-search-'));
    cleanups.push(async () => rmSync(freshDataDir, { recursive: true, force: true }));
    const fresh = await startService('search', { dataDir: freshDataDir });
    cleanups.push(() => fresh.stop());
    const freshClient = new SearchClient({ address: fresh.address, defaultDeadlineMs: 5_000 });
    cleanups.push(async () => freshClient.close());
    // Each replica's calls to search cross a slow network, so their start-up calls interleave, as across pods.
    const network = await startDelayingProxy(fresh.address, 100);
    cleanups.push(() => network.close());
    const { catalog } = await servedCatalog(609, 3);
    const prefix = uniqueTopicPrefix('replicas');
    const replicas = await Promise.all([startIngestion(prefix, { SEARCH_ADDR: network.address }), startIngestion(prefix, { SEARCH_ADDR: network.address })]);
    expect(await freshClient.listCollections()).toEqual([expect.objectContaining({ name: 'products_v1', aliases: ['products'] })]);
    await waitFor('both replicas ready', () => replicas.every((replica) => replica.readiness().ready), 30_000);

    // Writes through either replica land in the one live collection.
    await log.publish(
      `${prefix}catalog.products.v1`,
      catalog.lines.map((line, i) => ({ key: catalog.productIds[i], value: line })),
    );
    await waitFor('the catalog indexed', async () => (await storeCounts(freshClient)).products === catalog.productIds.length, 60_000, 300);
    expect(await freshClient.listCollections()).toEqual([
      expect.objectContaining({ name: 'products_v1', aliases: ['products'], productCount: catalog.productIds.length }),
    ]);
  });
});
