/**
 * Photos replaced behind the same URL, and events that fail with an unexpected error.
 * real: an Apache Kafka broker (KAFKA_BROKERS or tools/kafka/kafka.sh), the embedder (bundled
 * model, CPU) and search (embedded store) as child processes started from their `main.ts` (the
 * @vsearch/testing harness), a local HTTP image host whose photos the test replaces (one path
 * with ETag / Last-Modified, one without), sharp, the ingestion service itself (in process).
 * mock: for poison events only, the service is given a subclass of its real search adapter in
 * which one product trips a bug (a TypeError in `getProduct`) and another meets a search outage
 * (DependencyUnavailableError) for a while; everything else goes to the real search service.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { DependencyUnavailableError, type StoredProduct } from '@vsearch/contracts';
import { deadLetterFromEvent, KafkaEventLog, type ConsumedEvent } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { startService, waitFor, type RunningService } from '@vsearch/testing';
import { GrpcProductIndexWriter } from './adapters/grpc.product-index-writer';
import { startIngestionService, type RunningIngestionService } from './index';
import { ingestionStackEnv } from './testing/fixtures';

jest.setTimeout(180_000);

/** An image host whose photos the test replaces; it answers conditional requests on paths under /tagged/ only. */
interface ChangingImageHost {
  port: number;
  urlOf(file: string): string;
  /** Serves `bytes` at `/<file>` from now on (a new ETag and Last-Modified under /tagged/). */
  put(file: string, bytes: Buffer): void;
  /** `<status>` of each request for `file`, in order: what ingestion asked for, and what it got. */
  statuses(file: string): number[];
  close(): Promise<void>;
}

async function startChangingImageHost(): Promise<ChangingImageHost> {
  const photos = new Map<string, { bytes: Buffer; version: number }>();
  const log: { file: string; status: number }[] = [];
  const server: Server = http.createServer((request, response) => {
    const file = (request.url ?? '/').slice(1);
    const photo = photos.get(file);
    const answer = (status: number, headers: Record<string, string> = {}, body?: Buffer) => {
      log.push({ file, status });
      response.writeHead(status, headers).end(body);
    };
    if (!photo) return answer(404);
    if (!file.startsWith('tagged/')) return answer(200, { 'content-type': 'image/png' }, photo.bytes);
    const etag = `"${createHash('sha256').update(photo.bytes).digest('hex').slice(0, 16)}"`;
    const lastModified = new Date(Date.UTC(2026, 0, photo.version)).toUTCString();
    if (request.headers['if-none-match'] === etag) return answer(304, { etag });
    answer(200, { 'content-type': 'image/png', etag, 'last-modified': lastModified }, photo.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    urlOf: (file) => `http://127.0.0.1:${port}/${file}`,
    put: (file, bytes) => photos.set(file, { bytes, version: (photos.get(file)?.version ?? 0) + 1 }),
    statuses: (file) => log.filter((entry) => entry.file === file).map((entry) => entry.status),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A 256×256 PNG of one look: a background with a disc of another colour (distinct looks, distinct vectors). */
function photo(background: string, disc: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="${background}"/><circle cx="128" cy="128" r="80" fill="${disc}"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function upsertedEvent(productId: string, version: number, imageUrl: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'product.upserted',
    productId,
    version,
    title: `Product ${productId}`,
    categories: ['women', 'dresses'],
    price: { amount: 10 + version, currency: 'EUR' },
    inStock: true,
    images: [{ id: 'main', url: imageUrl }],
    occurredAt: new Date().toISOString(),
    ...extra,
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('ingestion of changed photos and poison events', () => {
  let brokers: string;
  let embedder: RunningService;
  let search: RunningService;
  let searchClient: SearchClient;
  let embedderClient: EmbedderClient;
  let log: KafkaEventLog;
  let host: ChangingImageHost;
  let dataDir: string;
  let searchDataDir: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    brokers = await kafkaBrokersForTests();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-data-'));
    searchDataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-search-'));
    [embedder, search, host] = await Promise.all([startService('embedder'), startService('search', { dataDir: searchDataDir }), startChangingImageHost()]);
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 5_000 });
    embedderClient = new EmbedderClient({ address: embedder.address });
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'ingestion-content-int-test' });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    await log?.close();
    searchClient?.close();
    embedderClient?.close();
    await host?.close();
    await Promise.all([embedder?.stop(), search?.stop()]);
    for (const dir of [dataDir, searchDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startIngestion(
    prefix: string,
    extra: Record<string, string | number> = {},
    productIndex?: (searchAddress: string) => GrpcProductIndexWriter,
  ): Promise<RunningIngestionService> {
    const service = await startIngestionService(
      {
        ...ingestionStackEnv({
          brokers,
          prefix,
          embedderAddress: embedder.address,
          searchAddress: search.address,
          dataDir,
          imageHostPort: host.port,
        }),
        // Each test starts with an empty cache: what is embedded is what the content checks decided.
        EMBEDDING_CACHE_PERSIST: 'false',
        COLLECTIONS_REFRESH_MS: 500,
        LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'error',
        ...extra,
      },
      undefined,
      { productIndex },
    );
    cleanups.push(() => service.close());
    return service;
  }

  const metricsText = async (service: RunningIngestionService) => (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
  const embeddedImages = async (service: RunningIngestionService) =>
    Number(/ingestion_embedded_images_total\{service="ingestion"\} (\d+)/.exec(await metricsText(service))?.[1] ?? 'NaN');

  async function storedAt(productId: string, version: number): Promise<StoredProduct> {
    let stored: StoredProduct | undefined;
    await waitFor(`${productId}@${version} stored`, async () => (stored = await searchClient.getProduct(productId))?.product.version === version, 60_000, 200);
    return stored!;
  }

  /** The best cosine of a product's stored images with the embedder's vector of `bytes`: about 1 when search holds that look. */
  async function similarityToLook(productId: string, bytes: Buffer): Promise<number> {
    const [[vector], { modelId }] = await Promise.all([embedderClient.embedEncodedImages([bytes]), embedderClient.getModelInfo()]);
    const page = await searchClient.search({ vector, modelId, mode: 'vector', limit: 10 });
    return page.hits.find((hit) => hit.product.productId === productId)?.score ?? -1;
  }

  describe('a photo replaced behind the same URL', () => {
    it('is embedded again on the next product version; unchanged, it costs a 304 with validators and a download without, never an embedding', async () => {
      const prefix = uniqueTopicPrefix('content');
      const topic = `${prefix}catalog.products.v1`;
      const [red, yellow, blue, green] = await Promise.all([photo('#d22', '#fff'), photo('#ee2', '#555'), photo('#22d', '#fc0'), photo('#2a2', '#000')]);
      host.put('tagged/p1.png', red);
      host.put('plain/p2.png', yellow);
      const service = await startIngestion(prefix);
      await log.publish(topic, [
        { key: 'p1', value: upsertedEvent('p1', 1, host.urlOf('tagged/p1.png')) },
        { key: 'p2', value: upsertedEvent('p2', 1, host.urlOf('plain/p2.png')) },
      ]);
      const [p1, p2] = await Promise.all([storedAt('p1', 1), storedAt('p2', 1)]);
      expect(p1.images[0].content).toMatchObject({ sha256: sha256(red), etag: expect.any(String), lastModified: expect.any(String) });
      expect(p2.images[0].content).toEqual({ sha256: sha256(yellow) });
      expect(await embeddedImages(service)).toBe(2);

      // A price change, the photos untouched: the host with validators answers 304, the other is downloaded and hashed.
      await log.publish(topic, [
        { key: 'p1', value: upsertedEvent('p1', 2, host.urlOf('tagged/p1.png')) },
        { key: 'p2', value: upsertedEvent('p2', 2, host.urlOf('plain/p2.png')) },
      ]);
      await Promise.all([storedAt('p1', 2), storedAt('p2', 2)]);
      expect(host.statuses('tagged/p1.png')).toEqual([200, 304]);
      expect(host.statuses('plain/p2.png')).toEqual([200, 200]);
      expect(await embeddedImages(service)).toBe(2);

      // New photos behind the same URLs: both are downloaded once, embedded, and search finds the new looks.
      host.put('tagged/p1.png', blue);
      host.put('plain/p2.png', green);
      await log.publish(topic, [
        { key: 'p1', value: upsertedEvent('p1', 3, host.urlOf('tagged/p1.png')) },
        { key: 'p2', value: upsertedEvent('p2', 3, host.urlOf('plain/p2.png')) },
      ]);
      const [p1v3, p2v3] = await Promise.all([storedAt('p1', 3), storedAt('p2', 3)]);
      expect(host.statuses('tagged/p1.png')).toEqual([200, 304, 200]);
      expect(host.statuses('plain/p2.png')).toEqual([200, 200, 200]);
      expect(await embeddedImages(service)).toBe(4);
      expect(p1v3.images[0].content).toMatchObject({ sha256: sha256(blue) });
      expect(p1v3.images[0].content?.etag).not.toBe(p1.images[0].content?.etag);
      expect(p2v3.images[0].content).toEqual({ sha256: sha256(green) });
      expect(await similarityToLook('p1', blue)).toBeGreaterThan(0.999);
      expect(await similarityToLook('p2', green)).toBeGreaterThan(0.999);
      expect(await similarityToLook('p1', red)).toBeLessThan(0.999);
    });

    it('is embedded again by a whole reindex, with no product event at all', async () => {
      const prefix = uniqueTopicPrefix('content-reindex');
      const topic = `${prefix}catalog.products.v1`;
      await log.ensureTopics([{ topic, partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
      const [before, after] = await Promise.all([photo('#840', '#0cf'), photo('#fff', '#c0c')]);
      host.put('tagged/r1.png', before);
      const service = await startIngestion(prefix);
      await log.publish(topic, [{ key: 'r1', value: upsertedEvent('r1', 1, host.urlOf('tagged/r1.png')) }]);
      await storedAt('r1', 1);
      expect(await similarityToLook('r1', before)).toBeGreaterThan(0.999);

      // The catalog replaced the photo without telling anyone: only a reindex can see it.
      host.put('tagged/r1.png', after);
      const jobId = `job-${prefix.replace(/[^A-Za-z0-9_-]/g, '')}`;
      await log.publish(`${prefix}catalog.reindex.v1`, [
        {
          key: jobId,
          // Forced: the live generation also holds the other tests' products, which this test's topic lacks, so the
          // product-count gate would (rightly) refuse the swap; the gates have their own tests.
          value: JSON.stringify({
            type: 'reindex.requested',
            jobId,
            force: { reason: 'test topic holds only this product' },
            requestedAt: new Date().toISOString(),
          }),
        },
      ]);
      await waitFor(
        `reindex ${jobId} done`,
        async () => {
          const response = await fetch(`http://127.0.0.1:${service.port}/internal/reindex/${jobId}`);
          const job = response.status === 200 ? ((await response.json()) as { state: string }) : undefined;
          if (job?.state === 'failed') throw new Error(`reindex failed: ${JSON.stringify(job)}`);
          return job?.state === 'done';
        },
        90_000,
        300,
      );
      expect((await searchClient.getProduct('r1'))?.images[0].content).toMatchObject({ sha256: sha256(after) });
      expect(await similarityToLook('r1', after)).toBeGreaterThan(0.999);
      expect(await embeddedImages(service)).toBe(2);
    });
  });

  describe('an event that fails with an unexpected error', () => {
    /**
     * The real search adapter, but product `poison` trips a bug in it and product `outage` meets
     * search down for its first `outageCalls` reads: what the handler must tell apart.
     */
    class FaultySearchAdapter extends GrpcProductIndexWriter {
      outageCalls = 0;
      override async getProduct(collection: string, productId: string): Promise<StoredProduct | null> {
        if (productId === 'poison') throw new TypeError("Cannot read properties of undefined (reading 'images')");
        if (productId === 'outage' && this.outageCalls-- > 0) throw new DependencyUnavailableError('search', 'UNAVAILABLE: connection refused');
        return super.getProduct(collection, productId);
      }
    }

    async function deadLettersOn(prefix: string): Promise<ConsumedEvent[]> {
      const letters: ConsumedEvent[] = [];
      const consumer = log.createConsumer({ groupId: `${prefix}dlq-reader`, topics: [`${prefix}catalog.products.v1.dlq`], fromBeginning: true });
      await consumer.start(async (batch, control) => {
        letters.push(...batch.messages);
        await control.commit(batch.messages[batch.messages.length - 1].offset);
      });
      cleanups.push(() => consumer.stop());
      return letters;
    }

    it('is retried, then dead-lettered with its reason while the next event of its partition is indexed; an outage outlasting the retries is not', async () => {
      const prefix = uniqueTopicPrefix('poison');
      const topic = `${prefix}catalog.products.v1`;
      await log.ensureTopics([
        { topic, partitions: 1 },
        { topic: `${topic}.dlq`, partitions: 1 },
      ]);
      host.put('plain/poison.png', await photo('#333', '#9f9'));
      let faulty: FaultySearchAdapter | undefined;
      const service = await startIngestion(
        prefix,
        {
          // Each try logs the bug with its stack at error level: kept out of the test output.
          LOG_LEVEL: process.env.INGESTION_TEST_LOG_LEVEL ?? 'fatal',
          POISON_EVENT_MAX_ATTEMPTS: 3,
          POISON_EVENT_BACKOFF_MS: 100,
          POISON_EVENT_BACKOFF_MAX_MS: 200,
          DEPENDENCY_RETRY_BASE_MS: 100,
          DEPENDENCY_RETRY_MAX_MS: 200,
        },
        (address) => (faulty = new FaultySearchAdapter(address)),
      );
      faulty!.outageCalls = 6; // twice POISON_EVENT_MAX_ATTEMPTS: a policy that dead-lettered outages would have given up on it
      const letters = await deadLettersOn(prefix);
      // One partition, in this order: the poison event, one behind it, and one that meets the outage.
      await log.publish(topic, [
        { key: 'poison', value: upsertedEvent('poison', 1, host.urlOf('plain/poison.png')) },
        { key: 'after-poison', value: upsertedEvent('after-poison', 1, host.urlOf('plain/poison.png')) },
        { key: 'outage', value: upsertedEvent('outage', 1, host.urlOf('plain/poison.png')) },
      ]);

      await Promise.all([storedAt('after-poison', 1), storedAt('outage', 1)]);
      await waitFor('the poison event dead-lettered', async () => letters.length > 0, 30_000, 200);
      expect(await searchClient.getProduct('poison')).toBeUndefined();
      expect(letters).toHaveLength(1);
      const letter = deadLetterFromEvent(letters[0]);
      expect(letter).toMatchObject({
        key: 'poison',
        stage: 'handle',
        errorCode: 'unexpected_error',
        reason: "TypeError: Cannot read properties of undefined (reading 'images') (failed 3 times)",
        originalTopic: topic,
        originalOffset: '0',
      });
      expect(letter.reason).not.toMatch(/\n|\bat .+\.ts:\d+/);
      const metrics = await metricsText(service);
      expect(metrics).toContain('ingestion_unexpected_event_errors_total{outcome="retried",service="ingestion"} 2');
      expect(metrics).toContain('ingestion_unexpected_event_errors_total{outcome="dead_lettered",service="ingestion"} 1');
      expect(metrics).toContain('ingestion_dead_letters_total{stage="handle",reason="unexpected_error",service="ingestion"} 1');
      expect(metrics).toMatch(/ingestion_dependency_retries_total\{dependency="search",service="ingestion"\} [1-9]/);
    });
  });
});
