/**
 * Test and benchmark helpers for ingestion (never imported by production code): the real
 * embedder and search services as child processes, a generated catalog served by a local
 * HTTP image host, and helpers to read the store and the dead-letter topic.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createReadStream, existsSync } from 'node:fs';
import http, { type Server } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateCatalog } from '@vsearch/catalog-generator';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { freePort, spawnTsEntry, waitFor, type ServiceProcess } from '@vsearch/testing';

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
export async function generateTestCatalog(seed: number, count: number, baseUrl: string, dir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-catalog-'))): Promise<TestCatalog> {
  await generateCatalog({ seed, count, outDir: dir, baseUrl });
  const lines = readFileSync(path.join(dir, 'catalog.jsonl'), 'utf8').split('\n').filter(Boolean);
  const events = lines.map((line) => JSON.parse(line) as { productId: string; images: unknown[] });
  return { dir, lines, productIds: events.map((event) => event.productId), imageCount: events.reduce((sum, event) => sum + event.images.length, 0) };
}

/** What every test and benchmark ingestion needs to reach the stack started here (loopback, a free port, the local image host allowed). */
export function ingestionStackEnv(stack: {
  brokers: string;
  prefix: string;
  consumerGroup: string;
  embedderAddress: string;
  searchAddress: string;
  dataDir: string;
  imageHostPort: number;
}): Record<string, string | number> {
  return {
    KAFKA_BROKERS: stack.brokers,
    TOPIC_PREFIX: stack.prefix,
    CONSUMER_GROUP: stack.consumerGroup,
    EMBEDDER_ADDR: stack.embedderAddress,
    SEARCH_ADDR: stack.searchAddress,
    DATA_DIR: stack.dataDir,
    INGESTION_PORT: 0,
    INGESTION_HOST: '127.0.0.1',
    IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${stack.imageHostPort}`,
  };
}

export interface RunningEmbedder {
  address: string;
  port: number;
  process: ServiceProcess;
  stop(): Promise<void>;
}

/** The embedder (bundled model, CPU) as a child process on a free port, once it answers GetModelInfo. */
export async function startEmbedderProcess(port?: number, extraEnv: Record<string, string> = {}): Promise<RunningEmbedder> {
  const grpcPort = port ?? (await freePort());
  const child = spawnTsEntry('services/embedder/src/main.ts', {
    EMBEDDER_PORT: String(grpcPort),
    EMBEDDER_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    EXECUTION_PROVIDERS: 'cpu',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const address = `127.0.0.1:${grpcPort}`;
  const client = new EmbedderClient({ address, defaultDeadlineMs: 2_000 });
  try {
    await waitFor(
      'the embedder to answer',
      async () => {
        if (child.child.exitCode !== null) throw new Error(`embedder exited: ${child.output().slice(-2000)}`);
        await client.getModelInfo();
        return true;
      },
      90_000,
      250,
    );
  } finally {
    client.close();
  }
  return { address, port: grpcPort, process: child, stop: async () => void (await child.stop()) };
}

export interface RunningSearch {
  address: string;
  dataDir: string;
  process: ServiceProcess;
  client: SearchClient;
  stop(): Promise<void>;
}

/** The search service (embedded store in a temp dir) as a child process, once it answers. */
export async function startSearchProcess(): Promise<RunningSearch> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-search-'));
  const child = spawnTsEntry('services/search/src/main.ts', {
    SEARCH_PORT: String(port),
    SEARCH_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  });
  const address = `127.0.0.1:${port}`;
  const client = new SearchClient({ address, defaultDeadlineMs: 5_000 });
  await waitFor(
    'search to answer',
    async () => {
      if (child.child.exitCode !== null) throw new Error(`search exited: ${child.output().slice(-2000)}`);
      await client.listCollections();
      return true;
    },
    60_000,
    250,
  );
  return {
    address,
    dataDir,
    process: child,
    client,
    stop: async () => {
      client.close();
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Products and points in the collection behind the `products` alias. */
export async function storeCounts(search: SearchClient): Promise<{ products: number; points: number; collection?: string }> {
  const collections = await search.listCollections();
  const live = collections.find((collection) => collection.aliases.includes('products'));
  return { products: live?.productCount ?? 0, points: live?.pointCount ?? 0, collection: live?.name };
}

export interface DelayingProxy {
  /** `127.0.0.1:port` to connect to instead of the target. */
  address: string;
  close(): Promise<void>;
}

/**
 * A TCP proxy to `target` (`host:port`) that holds every chunk for `delayMs`, in both directions
 * and in order: a slow network, so that calls two ingestion replicas make at start-up overlap as
 * they do across pods, instead of finishing before the other replica's first call.
 */
export async function startDelayingProxy(target: string, delayMs: number): Promise<DelayingProxy> {
  const separator = target.lastIndexOf(':');
  const [targetHost, targetPort] = [target.slice(0, separator), Number(target.slice(separator + 1))];
  const sockets = new Set<Socket>();
  const relay = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
    // Ends and errors also arrive after the data before them.
    from.on('end', () => setTimeout(() => to.end(), delayMs));
    from.on('error', () => setTimeout(() => to.destroy(), delayMs));
    from.on('close', () => sockets.delete(from));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
