/**
 * A model rollout end to end: the live generation holds another model than the embedder's default.
 * The embedder's default (MODEL_DIR) is a copy of the bundled clip-mini under another version, so the
 * two models have the same dimension and only their ids tell them apart; the bundled model is loaded
 * beside it (ROLLOUT_MODEL_DIR). The live generation was created for the bundled model before
 * ingestion started, so ingestion fills it with that model's vectors, and the query API must embed
 * every query with it: search refuses a vector named as the default model's. Last, a reindex swaps to a
 * generation of the default model and a rollback back to the bundled model's: the query API follows each swap.
 * real: the query API, embedder (two models), search and ingestion services (child processes started
 * from their `main.ts` by the @vsearch/testing harness, embedded vector store and event log), sharp.
 * fake: nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { EmbedderClient, SearchCallError, SearchClient, SearchErrorReason } from '@vsearch/grpc-clients';
import { BUNDLED_MODEL_DIR } from '@vsearch/model';
import { copyModelAsVersion, waitFor } from '@vsearch/testing';
import { searchResponseSchema, type SearchResponse } from './http/dtos/responses.dto';
import { E2E_ADMIN_KEY, startE2eStack, type E2eStack } from './testing/e2e-stack';

const SEED = 43;
const PRODUCTS = 40;

const bundledManifest = JSON.parse(readFileSync(path.join(BUNDLED_MODEL_DIR, 'model.json'), 'utf8')) as {
  name: string;
  version: string;
  embeddingDimension: number;
};
/** The live generation's model: the bundled one, loaded beside the default. */
const LIVE_MODEL = `${bundledManifest.name}@${bundledManifest.version}`;
const NEXT_VERSION = `${bundledManifest.version}-next`;
/** The embedder's default: the same weights under another version, so only the model id differs. */
const DEFAULT_MODEL = `${bundledManifest.name}@${NEXT_VERSION}`;

let modelsDir: string;
let stack: E2eStack;

beforeAll(async () => {
  modelsDir = mkdtempSync(path.join(os.tmpdir(), 'rollout-e2e-models-'));
  const nextDir = path.join(modelsDir, 'clip-mini-next');
  copyModelAsVersion(BUNDLED_MODEL_DIR, nextDir, NEXT_VERSION);
  stack = await startE2eStack({
    seed: SEED,
    count: PRODUCTS,
    embedder: { MODEL_DIR: nextDir, ROLLOUT_MODEL_DIR: BUNDLED_MODEL_DIR },
    beforeIngestion: async (search) => {
      await search.swapAlias('products', await search.createGeneration(LIVE_MODEL, bundledManifest.embeddingDimension, { name: 'products_v1' }));
    },
  });
}, 240_000);

afterAll(async () => {
  await stack?.close();
  if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
});

async function searchOk(pathAndQuery: string, init?: RequestInit): Promise<SearchResponse> {
  const response = await fetch(`${stack.baseUrl}${pathAndQuery}`, init);
  const body = await response.json();
  if (response.status !== 200) throw new Error(`${pathAndQuery} answered ${response.status}: ${JSON.stringify(body)}`);
  return searchResponseSchema.parse(body);
}

it("serves two models: the embedder's default is not the model of the live generation ingestion filled", async () => {
  const embedder = new EmbedderClient({ address: stack.embedder.address, defaultDeadlineMs: 10_000 });
  const search = new SearchClient({ address: stack.search.address, defaultDeadlineMs: 10_000 });
  try {
    expect(await embedder.getModelInfo()).toMatchObject({ modelId: DEFAULT_MODEL, loadedModelIds: [DEFAULT_MODEL, LIVE_MODEL] });
    const live = (await search.listCollections()).find((collection) => collection.aliases.includes('products'));
    expect(live).toMatchObject({ name: 'products_v1', modelId: LIVE_MODEL, productCount: PRODUCTS });
  } finally {
    embedder.close();
    search.close();
  }
});

it("answers text search with the live generation's model: the product of the asked colour and category on top", async () => {
  const event = stack.products.get(`s${SEED}-000003`)!;
  const query = `${event.attributes!.colour} ${event.attributes!.category}`;
  const body = await searchOk(`/v1/search?q=${encodeURIComponent(query)}&mode=vector&limit=5`);
  expect(body.model).toBe(LIVE_MODEL);
  const top = stack.products.get(body.results[0].productId)!;
  expect({ colour: top.attributes!.colour, category: top.attributes!.category }).toEqual({
    colour: event.attributes!.colour,
    category: event.attributes!.category,
  });
});

it('answers photo search and "more like this" with it too', async () => {
  const event = stack.products.get(`s${SEED}-000010`)!;
  const photo = await searchOk('/v1/search/image?limit=5', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ imageUrl: event.images[0].url }),
  });
  expect(photo.model).toBe(LIVE_MODEL);
  expect(photo.results[0]).toMatchObject({ productId: event.productId });
  expect(photo.results[0].score).toBeGreaterThan(0.99);
  const similar = await searchOk(`/v1/products/${event.productId}/similar?limit=5`);
  expect(similar.results.length).toBe(5);
});

it("is refused by search when a query vector is named as the default model's (equal dimension): the guard the query API passes", async () => {
  const embedder = new EmbedderClient({ address: stack.embedder.address, defaultDeadlineMs: 10_000 });
  const search = new SearchClient({ address: stack.search.address, defaultDeadlineMs: 10_000 });
  try {
    const [vector] = await embedder.embedTexts(['red t-shirt']);
    const refused = await search.search({ vector, modelId: DEFAULT_MODEL, limit: 5 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SearchCallError);
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, reason: SearchErrorReason.modelMismatch });
    expect((refused as SearchCallError).details).toBe(`collection products_v1 holds vectors of model ${LIVE_MODEL}; the request names model ${DEFAULT_MODEL}`);
  } finally {
    embedder.close();
    search.close();
  }
});

/** Requests an admin job (a reindex or a rollback) and waits for its end through the query API. */
async function adminJob(route: '/v1/admin/reindex' | '/v1/admin/rollback', body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.baseUrl}${route}`, {
    method: 'POST',
    headers: { 'x-api-key': E2E_ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  const { jobId } = (await response.json()) as { jobId: string };
  let job: Record<string, unknown> = {};
  await waitFor(
    `job ${jobId} to end`,
    async () => {
      const progress = await fetch(`${stack.baseUrl}/v1/admin/reindex/${jobId}`, { headers: { 'x-api-key': E2E_ADMIN_KEY } });
      job = (await progress.json()) as Record<string, unknown>;
      return job.state === 'done' || job.state === 'failed';
    },
    180_000,
    300,
  );
  return job;
}

it("follows the live generation's model across a reindex to the default model and a rollback to the bundled model's generation", async () => {
  const event = stack.products.get(`s${SEED}-000003`)!;
  const query = `/v1/search?q=${encodeURIComponent(`${event.attributes!.colour} ${event.attributes!.category}`)}&mode=vector&limit=5`;
  const before = await searchOk(query);

  const reindexed = await adminJob('/v1/admin/reindex', { reason: 'e2e: to the default model' });
  expect(reindexed).toMatchObject({ state: 'done', collection: 'products_v2', previousCollection: 'products_v1', modelId: DEFAULT_MODEL });
  expect((await searchOk(query)).model).toBe(DEFAULT_MODEL);

  // products_v1 holds the bundled model, loaded beside the default: the rollback is allowed, and caught up first.
  const back = await adminJob('/v1/admin/rollback', { reason: 'e2e: back to the bundled model' });
  expect(back).toMatchObject({ state: 'done', kind: 'rollback', collection: 'products_v1', previousCollection: 'products_v2', modelId: LIVE_MODEL });
  const after = await searchOk(query);
  expect(after.model).toBe(LIVE_MODEL);
  expect(after.results.map((result) => result.productId)).toEqual(before.results.map((result) => result.productId));
}, 400_000);
