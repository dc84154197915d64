/**
 * The running stack for the query API's end-to-end tests: a generated
 * catalog, the REAL embedder, search and ingestion services as child
 * processes (bundled model on CPU, embedded vector store and embedded event
 * log in a temp dir), the query API started from its public entry, and the
 * catalog indexed the way production does it: its events published to
 * catalog.products.v1, ingestion fetching the images from the query API's
 * /catalog-images. Test-only: imported by *.e2e-spec.ts files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProductUpserted } from '@vsearch/contracts';
import { createRng, generateCatalog, renderProductImage, sampleProductSpec, type RenderedImage } from '@vsearch/catalog-generator';
import { FileEventLog, publishCatalogFile } from '@vsearch/event-log';
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
  ingestion: ServiceProcess;
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


export async function startE2eStack(options: E2eStackOptions): Promise<E2eStack> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vsearch-query-api-e2e-'));
  const catalogDir = path.join(tmp, 'catalog');
  // Shared by the query API (reindex requests) and ingestion (catalog and reindex topics): the embedded event log.
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
  let ingestion: ServiceProcess | undefined;
  let queryApi: RunningQueryApiService | undefined;
  const searchClient = new SearchClient({ address: `127.0.0.1:${searchPort}`, defaultDeadlineMs: 10_000 });
  const embedderClient = new EmbedderClient({ address: `127.0.0.1:${embedderPort}`, defaultDeadlineMs: 10_000 });
  const stopAll = async () => {
    embedderClient.close();
    searchClient.close();
    await queryApi?.close();
    await Promise.all([embedder.stop(), search.stop(), ingestion?.stop()]);
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

    queryApi = await startQueryApiService({
      QUERY_API_PORT: queryApiPort,
      QUERY_API_HOST: '127.0.0.1',
      EMBEDDER_ADDR: `127.0.0.1:${embedderPort}`,
      SEARCH_ADDR: `127.0.0.1:${searchPort}`,
      INGESTION_URL: `http://127.0.0.1:${ingestionPort}`,
      DATA_DIR: dataDir,
      KAFKA_BROKERS: '',
      CATALOG_IMAGES_DIR: path.join(catalogDir, 'images'),
      ADMIN_API_KEYS: E2E_ADMIN_KEY,
      IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${queryApiPort}`,
      RATE_LIMIT_BURST: 100_000,
      RATE_LIMIT_PER_SECOND: 100_000,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      ...options.queryApi,
    });

    const eventLog = new FileEventLog({ dir: path.join(dataDir, 'event-log') });
    await publishCatalogFile(eventLog, path.join(catalogDir, 'catalog.jsonl'));
    await eventLog.close();
    ingestion = spawnTsEntry('services/ingestion/src/main.ts', {
      INGESTION_PORT: String(ingestionPort),
      INGESTION_HOST: '127.0.0.1',
      EMBEDDER_ADDR: `127.0.0.1:${embedderPort}`,
      SEARCH_ADDR: `127.0.0.1:${searchPort}`,
      DATA_DIR: dataDir,
      KAFKA_BROKERS: '',
      IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${queryApiPort}`,
      COLLECTIONS_REFRESH_MS: '500',
    });
    const started = ingestion;
    await waitFor(
      `ingestion to index ${options.count} products`,
      async () => {
        assertAlive(started, 'ingestion');
        const collections = await searchClient.listCollections({ deadlineMs: 1_000 });
        return collections.some((collection) => collection.aliases.includes('products') && collection.productCount === options.count);
      },
      180_000,
      500,
    );
    embedderClient.close();
    searchClient.close();

    const running = queryApi;
    return {
      baseUrl,
      queryApi: running,
      embedder,
      search,
      ingestion: started,
      products,
      catalogDir,
      dataDir,
      modelId: modelInfo.modelId,
      seed: options.seed,
      heldOutRender: (index) => renderProductImage(sampleProductSpec(createRng(`${options.seed}:product:${index}`), { heldOut: 'include' }), `held-out:${index}`),
      async close() {
        await running.close();
        await Promise.all([started.stop(), embedder.stop(), search.stop()]);
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    const logs = [['embedder', embedder], ['search', search], ['ingestion', ingestion]]
      .map(([name, child]) => `--- ${name} ---\n${(child as ServiceProcess | undefined)?.output().slice(-3000) ?? '(not started)'}`)
      .join('\n');
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
