/**
 * Outages lose nothing and dead-letter nothing.
 * real: Apache Kafka brokers (the shared test broker, and one of this test's own that it kills
 * with SIGKILL and restarts via tools/kafka/kafka.sh), the embedder and search as child
 * processes started from their `main.ts` (the @vsearch/testing harness; the embedder is stopped
 * for 10 s and started again), ingestion in process and, for SIGTERM, as its own process (`main.ts`),
 * a local image host.
 * mock: nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileEventLog, KafkaEventLog, publishCatalogFile } from '@vsearch/event-log';
import { kafkaBrokersForTests, startDedicatedKafka, uniqueTopicPrefix, type DedicatedKafka } from '@vsearch/event-log/testing';
import { SearchClient } from '@vsearch/grpc-clients';
import { startService, waitFor, type RunningService } from '@vsearch/testing';
import { startIngestionService, type RunningIngestionService } from './index';
import { generateTestCatalog, ingestionStackEnv, publishTestCatalog, startImageHost, storeCounts, type ImageHost, type TestCatalog } from './testing/fixtures';

jest.setTimeout(240_000);

describe('ingestion through outages', () => {
  let embedder: RunningService;
  let search: RunningService;
  let searchClient: SearchClient;
  let dataDir: string;
  let searchDataDir: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-data-'));
    searchDataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-search-'));
    [embedder, search] = await Promise.all([startService('embedder'), startService('search', { dataDir: searchDataDir })]);
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 5_000 });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    searchClient?.close();
    await Promise.all([embedder?.stop(), search?.stop()]);
    for (const dir of [dataDir, searchDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function catalogOn(seed: number, count: number, delayMs = 0): Promise<{ catalog: TestCatalog; host: ImageHost }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-catalog-'));
    const host = await startImageHost(path.join(dir, 'images'), { delayMs });
    const catalog = await generateTestCatalog(seed, count, host.baseUrl, dir);
    cleanups.push(async () => {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { catalog, host };
  }

  async function startIngestion(
    brokers: string,
    prefix: string,
    host: ImageHost,
    extra: Record<string, string | number> = {},
  ): Promise<RunningIngestionService> {
    const service = await startIngestionService({
      ...ingestionStackEnv({
        brokers,
        prefix,
        embedderAddress: embedder.address,
        searchAddress: search.address,
        dataDir,
        imageHostPort: host.port,
      }),
      COLLECTIONS_REFRESH_MS: 500,
      DEPENDENCY_RETRY_BASE_MS: 300,
      DEPENDENCY_RETRY_MAX_MS: 2_000,
      LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'error',
      ...extra,
    });
    cleanups.push(() => service.close());
    return service;
  }

  async function indexedOf(catalog: TestCatalog): Promise<number> {
    let found = 0;
    for (const productId of catalog.productIds) if (await searchClient.getProduct(productId)) found++;
    return found;
  }

  it('dead-letters nothing while the embedder is stopped for 10 s, and indexes everything once it is back', async () => {
    const brokers = await kafkaBrokersForTests();
    const { catalog, host } = await catalogOn(701, 24);
    const prefix = uniqueTopicPrefix('embedder-outage');
    const log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'outage-test' });
    cleanups.push(() => log.close());
    const topic = `${prefix}catalog.products.v1`;
    await log.ensureTopics([{ topic, partitions: 3 }]);
    const publish = (from: number, to: number) =>
      log.publish(
        topic,
        catalog.lines.slice(from, to).map((value, i) => ({ key: catalog.productIds[from + i], value })),
      );

    const service = await startIngestion(brokers, prefix, host);
    await publish(0, 8);
    await waitFor('the first 8 products', async () => (await indexedOf(catalog)) === 8, 60_000, 300);

    await embedder.stop();
    await publish(8, 24);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(await indexedOf(catalog)).toBe(8);
    expect(service.readiness()).toMatchObject({ ready: false, missing: ['embedder'] });

    await embedder.restart();
    await waitFor('all 24 products after the embedder is back', async () => (await indexedOf(catalog)) === 24, 90_000, 500);
    const dlq = await log.endOffsets(`${prefix}catalog.products.v1.dlq`);
    expect([...dlq.values()].reduce((sum, end) => sum + Number(end), 0)).toBe(0);
    await waitFor('readiness again', () => service.readiness().ready, 10_000);
  });

  it('loses nothing when the broker is killed during ingestion and restarted: every product indexed exactly once', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'kafka-outage-'));
    const kafka: DedicatedKafka = await startDedicatedKafka(stateDir);
    cleanups.push(async () => {
      await kafka.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    // A slow image host stretches ingestion over several seconds, so the broker dies in the middle of it.
    const { catalog, host } = await catalogOn(702, 30, 300);
    const prefix = uniqueTopicPrefix('broker-outage');
    const log = new KafkaEventLog({ brokers: [kafka.brokers], clientId: 'broker-outage-test' });
    const topic = `${prefix}catalog.products.v1`;
    await log.ensureTopics([{ topic, partitions: 3 }]);
    await publishTestCatalog(log, topic, catalog);
    await log.close();
    const before = await storeCounts(searchClient);

    await startIngestion(kafka.brokers, prefix, host, { EVENTS_PER_CHUNK: 2, PARTITIONS_CONCURRENCY: 3 });
    await waitFor('some products indexed', async () => (await indexedOf(catalog)) >= 3, 60_000, 200);
    await kafka.kill({ hard: true });
    const duringOutage = await indexedOf(catalog);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await kafka.restart();

    await waitFor('all 30 products after the broker is back', async () => (await indexedOf(catalog)) === 30, 150_000, 500);
    expect(duringOutage).toBeLessThan(30);
    const after = await storeCounts(searchClient);
    expect(after.products - before.products).toBe(30);
    expect(after.points - before.points).toBe(catalog.imageCount);
  });

  it('stops on SIGTERM without committing unfinished work, exits 0, and a restart finishes the catalog exactly once', async () => {
    const { catalog, host } = await catalogOn(703, 20, 150);
    const embeddedDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-sigterm-'));
    cleanups.push(async () => rmSync(embeddedDir, { recursive: true, force: true }));
    const log = new FileEventLog({ dir: path.join(embeddedDir, 'event-log') });
    await log.ensureTopics([{ topic: 'catalog.products.v1', partitions: 1 }]);
    await publishCatalogFile(log, path.join(catalog.dir, 'catalog.jsonl'));
    const before = await storeCounts(searchClient);
    const ingestion = {
      dataDir: embeddedDir,
      peers: { embedder: embedder.address, search: search.address },
      env: { KAFKA_BROKERS: '', IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${host.port}`, EVENTS_PER_CHUNK: '2', LOG_LEVEL: 'error' },
    };

    const first = await startService('ingestion', ingestion);
    await waitFor('some products indexed', async () => (await indexedOf(catalog)) >= 2, 60_000, 100);
    expect(await first.stop(10_000)).toBe(0);
    const committed = Number(log.readCommitted('vsearch-ingestion')['catalog.products.v1']?.['0'] ?? 0);
    const indexedAtStop = await indexedOf(catalog);
    expect(indexedAtStop).toBeLessThan(20);
    // Only finished chunks are committed: everything committed is in the store.
    expect(committed).toBeLessThanOrEqual(indexedAtStop);

    const second = await startService('ingestion', ingestion);
    cleanups.push(() => second.stop());
    await waitFor('the rest after the restart', async () => (await indexedOf(catalog)) === 20, 90_000, 300);
    const after = await storeCounts(searchClient);
    expect(after.products - before.products).toBe(20);
    expect(after.points - before.points).toBe(catalog.imageCount);
  });
});
