/**
 * The running stack for the query API's end-to-end tests: a generated catalog and the four
 * services as child processes started from their `main.ts` by the @vsearch/testing harness
 * (bundled model on CPU, embedded vector store and embedded event log in a temp dir), the catalog
 * indexed the way production does it: its events published to catalog.products.v1, ingestion
 * fetching the images from the query API's /catalog-images. Test-only: imported by *.e2e-spec.ts files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProductUpserted } from '@vsearch/contracts';
import { createRng, generateCatalog, renderProductImage, sampleProductSpec, type RenderedImage } from '@vsearch/catalog-generator';
import { FileEventLog, publishCatalogFile } from '@vsearch/event-log';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { freePort, startStack, waitFor, type EnvSettings, type RunningService, type RunningStack } from '@vsearch/testing';

export const E2E_ADMIN_KEY = 'e2e-admin-key-7f3a9c';

export interface E2eStackOptions {
  seed: number;
  count: number;
  /** Settings of the query API over the ones below. */
  queryApi?: EnvSettings;
  /** Settings of the embedder over the ones below (another MODEL_DIR, a ROLLOUT_MODEL_DIR). */
  embedder?: EnvSettings;
  /** Runs once search answers, before ingestion starts (a test that prepares the live generation itself). */
  beforeIngestion?: (search: SearchClient) => Promise<void>;
  /** Settings of ingestion over the ones below (DESCRIBE_IMAGES, say). */
  ingestion?: EnvSettings;
}

export interface E2eStack {
  baseUrl: string;
  queryApi: RunningService;
  embedder: RunningService;
  search: RunningService;
  ingestion: RunningService;
  /** Catalog events by product id. */
  products: Map<string, ProductUpserted>;
  catalogDir: string;
  /** The DATA_DIR the services share (the embedded event log is under `event-log/`). */
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
  const dataDir = path.join(tmp, 'data');
  mkdirSync(dataDir);
  // The catalog's image URLs name the query API, so its port is chosen before the catalog is generated.
  const queryApiPort = await freePort();
  const baseUrl = `http://127.0.0.1:${queryApiPort}`;
  // As `vsearch start` does: only the query API's /catalog-images/ is fetchable on its address.
  const onLoopbackOnly = { KAFKA_BROKERS: '', IMAGE_FETCH_ALLOW_HOSTS: `${baseUrl}/catalog-images/` };

  let stack: RunningStack | undefined;
  try {
    // The catalog is generated while the model loads; ingestion starts once the catalog is published.
    // Settled, not raced: a stack still starting when the generator fails must be stoppable below.
    const [stackStart, generation] = await Promise.allSettled([
      startStack({
        services: ['embedder', 'search', 'query-api'],
        dataDir,
        ports: { 'query-api': { port: queryApiPort } },
        serviceEnv: {
          // debug: every call is logged with its x-request-id, which the tests look for.
          embedder: { LOG_LEVEL: 'debug', ...options.embedder },
          search: { LOG_LEVEL: 'info' },
          'query-api': {
            ...onLoopbackOnly,
            CATALOG_IMAGES_DIR: path.join(catalogDir, 'images'),
            ADMIN_API_KEYS: E2E_ADMIN_KEY,
            RATE_LIMIT_BURST: 100_000,
            RATE_LIMIT_PER_SECOND: 100_000,
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
            ...options.queryApi,
          },
          ingestion: { ...onLoopbackOnly, COLLECTIONS_REFRESH_MS: 500, ...options.ingestion },
        },
      }),
      generateCatalog({ seed: options.seed, count: options.count, outDir: catalogDir, baseUrl: `${baseUrl}/catalog-images`, concurrency: 4 }),
    ]);
    if (stackStart.status === 'rejected') throw stackStart.reason;
    const started = (stack = stackStart.value);
    if (generation.status === 'rejected') throw generation.reason;
    const products = new Map<string, ProductUpserted>();
    for (const line of readFileSync(path.join(catalogDir, 'catalog.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      const event = JSON.parse(line) as ProductUpserted;
      products.set(event.productId, event);
    }
    const embedderClient = new EmbedderClient({ address: started.addresses.embedder, defaultDeadlineMs: 10_000 });
    const { modelId } = await embedderClient.getModelInfo().finally(() => embedderClient.close());

    const eventLog = new FileEventLog({ dir: path.join(dataDir, 'event-log') });
    await publishCatalogFile(eventLog, path.join(catalogDir, 'catalog.jsonl'));
    await eventLog.close();
    const searchClient = new SearchClient({ address: started.addresses.search, defaultDeadlineMs: 10_000 });
    const ingestion = await (options.beforeIngestion?.(searchClient) ?? Promise.resolve()).then(
      () => started.start('ingestion'),
      (error: unknown) => {
        searchClient.close();
        throw error;
      },
    );
    try {
      await waitFor(
        `ingestion to index ${options.count} products`,
        async () => {
          if (!ingestion.isRunning()) throw new Error('ingestion exited');
          const collections = await searchClient.listCollections({ deadlineMs: 1_000 });
          return collections.some((collection) => collection.aliases.includes('products') && collection.productCount === options.count);
        },
        180_000,
        500,
      );
    } finally {
      searchClient.close();
    }

    return {
      baseUrl,
      queryApi: started.service('query-api'),
      embedder: started.service('embedder'),
      search: started.service('search'),
      ingestion,
      products,
      catalogDir,
      dataDir,
      modelId,
      seed: options.seed,
      heldOutRender: (index) =>
        renderProductImage(sampleProductSpec(createRng(`${options.seed}:product:${index}`), { heldOut: 'include' }), `held-out:${index}`),
      async close() {
        await started.stop();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (error) {
    const logs = (stack?.started() ?? []).map((service) => `--- ${service.name} ---\n${service.logs().slice(-3000)}`).join('\n');
    await stack?.stop();
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}${logs ? `\n${logs}` : ''}`);
  }
}
