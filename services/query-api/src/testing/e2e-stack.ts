/**
 * The running stack for the query API's end-to-end tests: a generated
 * catalog, the REAL embedder and search services as child processes (bundled
 * model on CPU, embedded vector store in a temp dir), the catalog indexed
 * through their gRPC APIs, and the query API started from its public entry.
 * Test-only: imported by *.e2e-spec.ts files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ProductUpserted } from '@vsearch/contracts';
import { createRng, generateCatalog, renderProductImage, sampleProductSpec, type RenderedImage } from '@vsearch/catalog-generator';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { freePort, spawnTsEntry, waitFor, type ServiceProcess } from '@vsearch/testing';
import { startQueryApiService, type QueryApiConfigOverrides, type RunningQueryApiService } from '../index';

export const E2E_ADMIN_KEY = 'e2e-admin-key-7f3a9c';

export interface E2eStackOptions {
  seed: number;
  count: number;
  queryApi?: QueryApiConfigOverrides;
}

export interface E2eStack {
  baseUrl: string;
  queryApi: RunningQueryApiService;
  embedder: ServiceProcess;
  search: ServiceProcess;
  /** Catalog events by product id. */
  products: Map<string, ProductUpserted>;
  catalogDir: string;
  dataDir: string;
  modelId: string;
  seed: number;
  /** An image of product `index` (1-based) that was NOT indexed: same spec, another render seed. */
  heldOutRender(index: number): Promise<RenderedImage>;
  close(): Promise<void>;
}

const EMBED_BATCH = 16;
const UPSERT_BATCH = 50;

export async function startE2eStack(options: E2eStackOptions): Promise<E2eStack> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vsearch-query-api-e2e-'));
  const catalogDir = path.join(tmp, 'catalog');
  const dataDir = path.join(tmp, 'data');
  const [queryApiPort, embedderPort, embedderMetricsPort, searchPort, searchMetricsPort, ingestionPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const baseUrl = `http://127.0.0.1:${queryApiPort}`;

  const embedder = spawnTsEntry('services/embedder/src/main.ts', {
    EMBEDDER_PORT: String(embedderPort),
    METRICS_PORT: String(embedderMetricsPort),
    EXECUTION_PROVIDERS: 'cpu',
    // debug: every call is logged with its x-request-id, which the tests look for.
    LOG_LEVEL: 'debug',
  });
  const search = spawnTsEntry('services/search/src/main.ts', {
    SEARCH_PORT: String(searchPort),
    METRICS_PORT: String(searchMetricsPort),
    DATA_DIR: path.join(tmp, 'search-data'),
    LOG_LEVEL: 'info',
  });
  const embedderClient = new EmbedderClient({ address: `127.0.0.1:${embedderPort}`, defaultDeadlineMs: 60_000 });
  const searchClient = new SearchClient({ address: `127.0.0.1:${searchPort}`, defaultDeadlineMs: 60_000 });
  const stopChildren = async () => {
    embedderClient.close();
    searchClient.close();
    await Promise.all([embedder.stop(), search.stop()]);
  };

  try {
    const [, modelInfo] = await Promise.all([
      generateCatalog({ seed: options.seed, count: options.count, outDir: catalogDir, baseUrl: `${baseUrl}/catalog-images`, concurrency: 4 }),
      waitForModel(embedderClient, embedder),
      waitFor(`search on ${searchPort}`, async () => {
        assertAlive(search, 'search');
        await searchClient.listCollections({ deadlineMs: 1_000 });
        return true;
      }),
    ]);
    const products = new Map<string, ProductUpserted>();
    for (const line of readFileSync(path.join(catalogDir, 'catalog.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      const event = JSON.parse(line) as ProductUpserted;
      products.set(event.productId, event);
    }
    await indexCatalog(catalogDir, [...products.values()], modelInfo, embedderClient, searchClient);

    const queryApi = await startQueryApiService({
      QUERY_API_PORT: queryApiPort,
      QUERY_API_HOST: '127.0.0.1',
      EMBEDDER_ADDR: `127.0.0.1:${embedderPort}`,
      SEARCH_ADDR: `127.0.0.1:${searchPort}`,
      // Nothing listens there: progress reads answer 503 (ingestion has its own tests).
      INGESTION_URL: `http://127.0.0.1:${ingestionPort}`,
      DATA_DIR: dataDir,
      KAFKA_BROKERS: '',
      CATALOG_IMAGES_DIR: path.join(catalogDir, 'images'),
      ADMIN_API_KEYS: E2E_ADMIN_KEY,
      IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${queryApiPort}`,
      RATE_LIMIT_BURST: 100_000,
      RATE_LIMIT_PER_SECOND: 100_000,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...options.queryApi,
    });
    embedderClient.close();
    searchClient.close();

    return {
      baseUrl,
      queryApi,
      embedder,
      search,
      products,
      catalogDir,
      dataDir,
      modelId: modelInfo.modelId,
      seed: options.seed,
      heldOutRender: (index) => renderProductImage(sampleProductSpec(createRng(`${options.seed}:product:${index}`), { heldOut: 'include' }), `held-out:${index}`),
      async close() {
        await queryApi.close();
        await Promise.all([embedder.stop(), search.stop()]);
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChildren();
    const logs = `--- embedder ---\n${embedder.output().slice(-3000)}\n--- search ---\n${search.output().slice(-3000)}`;
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
}

async function waitForModel(client: EmbedderClient, embedder: ServiceProcess): Promise<{ modelId: string; dimension: number }> {
  let info: { modelId: string; dimension: number } | undefined;
  await waitFor(
    'the embedder to load its model',
    async () => {
      assertAlive(embedder, 'embedder');
      info = await client.getModelInfo({ deadlineMs: 1_000 });
      return true;
    },
    120_000,
  );
  return info!;
}

function assertAlive(child: ServiceProcess, name: string): void {
  if (child.child.exitCode !== null) throw new Error(`${name} exited with ${child.child.exitCode}`);
}

/** Embeds every image (bulk lane, the embedder decodes) and upserts the products into a fresh generation behind `products`. */
async function indexCatalog(
  catalogDir: string,
  events: ProductUpserted[],
  model: { modelId: string; dimension: number },
  embedder: EmbedderClient,
  search: SearchClient,
): Promise<void> {
  const collection = await search.createGeneration(model.modelId, model.dimension);
  const images = events.flatMap((event) =>
    event.images.map((image) => ({ productId: event.productId, image, file: path.join(catalogDir, 'images', event.productId, path.basename(new URL(image.url).pathname)) })),
  );
  const vectors = new Map<string, Float32Array>();
  for (let start = 0; start < images.length; start += EMBED_BATCH) {
    const chunk = images.slice(start, start + EMBED_BATCH);
    const files = await Promise.all(chunk.map((item) => readFile(item.file)));
    const embedded = await embedder.embedEncodedImages(files, { priority: 'bulk' });
    chunk.forEach((item, i) => vectors.set(`${item.productId}/${item.image.id}`, embedded[i]));
  }
  for (let start = 0; start < events.length; start += UPSERT_BATCH) {
    const outcomes = await search.upsertProducts(
      events.slice(start, start + UPSERT_BATCH).map((event) => ({
        product: {
          productId: event.productId,
          version: event.version,
          title: event.title,
          description: event.description,
          brand: event.brand,
          categories: event.categories,
          price: event.price,
          inStock: event.inStock,
          attributes: event.attributes,
        },
        images: event.images.map((image) => ({ imageId: image.id, imageUrl: image.url, vector: vectors.get(`${event.productId}/${image.id}`)! })),
      })),
      { collection },
    );
    if (outcomes.some((outcome) => outcome !== 'applied')) throw new Error(`upsert outcomes: ${outcomes.join(',')}`);
  }
  await search.swapAlias('products', collection);
}
