/**
 * Test and benchmark fixtures for ingestion (never imported by production code): a generated
 * catalog served by a local HTTP image host, the settings ingestion needs to reach the services
 * the harness of @vsearch/testing starts, and what the store holds.
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateCatalog } from '@vsearch/catalog-generator';
import type { GenerationInfo, ReindexJob, ReindexTopicMessage } from '@vsearch/contracts';
import type { EventLog } from '@vsearch/event-log';
import type { SearchClient } from '@vsearch/grpc-clients';
import { waitFor } from '@vsearch/testing';

export interface TestCatalog {
  dir: string;
  /** Raw catalog.jsonl lines (product.upserted events), image URLs on the local host. */
  lines: string[];
  productIds: string[];
  imageCount: number;
}

export interface ImageHost {
  baseUrl: string;
  port: number;
  /** Requests served so far (paths). */
  hits: string[];
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

/** Serves `<dir>/images` at `/catalog-images/*`, plus `/redirect?to=URL` (a 302 to anywhere) for SSRF tests. */
export async function startImageHost(imagesDir: string, options: { delayMs?: number; cacheInMemory?: boolean; port?: number } = {}): Promise<ImageHost> {
  const hits: string[] = [];
  // Benchmarks keep served files in memory, so the host costs next to no CPU beside the pipeline.
  const memory = new Map<string, Buffer>();
  const server: Server = http.createServer((request, response) => {
    if (options.delayMs) {
      setTimeout(() => serve(request, response), options.delayMs);
      return;
    }
    serve(request, response);
  });
  function serve(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://host');
    hits.push(url.pathname);
    if (url.pathname === '/redirect') {
      response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      return;
    }
    const relative = decodeURIComponent(url.pathname.replace(/^\/catalog-images\//, ''));
    const file = path.join(imagesDir, relative);
    if (!file.startsWith(imagesDir + path.sep) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    if (options.cacheInMemory) {
      let bytes = memory.get(file);
      if (!bytes) {
        bytes = readFileSync(file);
        memory.set(file, bytes);
      }
      response.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length }).end(bytes);
      return;
    }
    response.writeHead(200, { 'content-type': contentType });
    createReadStream(file).pipe(response);
  }
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/catalog-images`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Generates a catalog whose image URLs point at `baseUrl` (deterministic for a seed). */
export async function generateTestCatalog(
  seed: number,
  count: number,
  baseUrl: string,
  dir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-catalog-')),
): Promise<TestCatalog> {
  await generateCatalog({ seed, count, outDir: dir, baseUrl });
  const lines = readFileSync(path.join(dir, 'catalog.jsonl'), 'utf8').split('\n').filter(Boolean);
  const events = lines.map((line) => JSON.parse(line) as { productId: string; images: unknown[] });
  return { dir, lines, productIds: events.map((event) => event.productId), imageCount: events.reduce((sum, event) => sum + event.images.length, 0) };
}

/** What every test and benchmark ingestion needs to reach the stack started here (loopback, a free port, the local image host allowed). */
export function ingestionStackEnv(stack: {
  brokers: string;
  prefix: string;
  /** Default `<prefix>ingestion`: the prefix already keeps each test's group apart. */
  consumerGroup?: string;
  embedderAddress: string;
  searchAddress: string;
  dataDir: string;
  imageHostPort: number;
}): Record<string, string | number> {
  return {
    KAFKA_BROKERS: stack.brokers,
    TOPIC_PREFIX: stack.prefix,
    CONSUMER_GROUP: stack.consumerGroup ?? `${stack.prefix}ingestion`,
    EMBEDDER_ADDR: stack.embedderAddress,
    SEARCH_ADDR: stack.searchAddress,
    DATA_DIR: stack.dataDir,
    INGESTION_PORT: 0,
    INGESTION_HOST: '127.0.0.1',
    IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${stack.imageHostPort}`,
  };
}

/** Publishes every product of `catalog` to `topic`, keyed by product id as the catalog producer does. */
export async function publishTestCatalog(log: EventLog, topic: string, catalog: TestCatalog): Promise<void> {
  await log.publish(
    topic,
    catalog.lines.map((value, i) => ({ key: catalog.productIds[i], value })),
  );
}

/** Products and points in the collection behind the `products` alias. */
export async function storeCounts(search: SearchClient): Promise<{ products: number; points: number; collection?: string }> {
  const collections = await search.listCollections();
  const live = collections.find((collection) => collection.aliases.includes('products'));
  return { products: live?.productCount ?? 0, points: live?.pointCount ?? 0, collection: live?.name };
}

/** The stored file kinds of a snapshot of the embedded store (libs/vector-store/src/embedded/collection-storage.ts). */
export type SnapshotFileKind = 'vectors.f32' | 'products.jsonl';

/**
 * A file of the newest snapshot of `collection` in a search service's DATA_DIR (the embedded
 * store lives in DATA_DIR/vector-store). Search writes the snapshot on a graceful stop; throws,
 * naming what it found, when there is none.
 */
export function snapshotFileOf(searchDataDir: string, collection: string, kind: SnapshotFileKind): string {
  const collectionDir = path.join(searchDataDir, 'vector-store', 'collections', collection);
  const names = existsSync(collectionDir) ? readdirSync(collectionDir) : [];
  const newest = names
    .map((name) => ({ name, number: Number(/^snapshot-(\d+)$/.exec(name)?.[1] ?? NaN) }))
    .filter(({ number }) => Number.isInteger(number))
    .sort((a, b) => b.number - a.number)[0];
  if (!newest) throw new Error(`no snapshot of ${collection} in ${collectionDir} (found: ${names.join(', ') || 'nothing'}); stop search gracefully first`);
  return path.join(collectionDir, newest.name, kind);
}

/** Flips one bit of the byte in the middle of `file`, as a bad disk sector would; returns the offset. */
export function flipMiddleBit(file: string): number {
  const bytes = readFileSync(file);
  if (bytes.length === 0) throw new Error(`${file} is empty: nothing to damage`);
  const offset = Math.floor(bytes.length / 2);
  bytes[offset] ^= 0x10;
  writeFileSync(file, bytes);
  return offset;
}

/** Publishes a reindex or rollback request on `reindexTopic` and polls ingestion's progress route until the job is done or failed. */
export async function runReindexJob(
  log: EventLog,
  reindexTopic: string,
  ingestionPort: number,
  request: ReindexTopicMessage,
  deadlineMs: number,
): Promise<ReindexJob> {
  await log.publishOne(reindexTopic, request.jobId, JSON.stringify(request));
  let job: ReindexJob | undefined;
  await waitFor(
    `job ${request.jobId} to end`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${ingestionPort}/internal/reindex/${request.jobId}`);
      job = response.status === 200 ? ((await response.json()) as ReindexJob) : undefined;
      return job?.state === 'done' || job?.state === 'failed';
    },
    deadlineMs,
    300,
  );
  return job!;
}

/** The generations ingestion lists (`GET /internal/generations`). */
export async function listGenerations(ingestionPort: number): Promise<GenerationInfo[]> {
  const response = await fetch(`http://127.0.0.1:${ingestionPort}/internal/generations`);
  return ((await response.json()) as { generations: GenerationInfo[] }).generations;
}
