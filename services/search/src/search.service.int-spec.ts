/**
 * real: the search service (gRPC server, handler, metrics server), the
 * embedded vector store in a temp directory, SearchClient over gRPC.
 * mock: nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { ProductData, ProductWithImageVectors } from '@vsearch/contracts';
import { SearchCallError, SearchClient, SearchErrorReason } from '@vsearch/grpc-clients';
import { freePort } from '@vsearch/testing';
import { FakeQdrantServer } from '@vsearch/vector-store/testing';
import { startSearchService, type RunningSearchService } from './index';

const DIMENSION = 8;

function unit(...values: number[]): Float32Array {
  const v = new Float32Array(DIMENSION);
  v.set(values);
  return v;
}

function item(productId: string, version: number, overrides: Partial<ProductData> = {}, vector = unit(1)): ProductWithImageVectors {
  return {
    product: {
      productId,
      version,
      title: productId,
      description: '',
      categories: ['shoes'],
      price: { amount: 10, currency: 'EUR' },
      inStock: true,
      brand: 'acme',
      attributes: {},
      ...overrides,
    },
    images: [{ imageId: 'main', imageUrl: `http://img.test/${productId}.jpg`, vector }],
  };
}

async function expectCode(promise: Promise<unknown>, code: grpc.status, details?: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SearchCallError);
  expect(grpc.status[(error as SearchCallError).code]).toBe(grpc.status[code]);
  if (details) expect((error as SearchCallError).details).toMatch(details);
}

describe('search service over gRPC (embedded store)', () => {
  let dataDir: string;
  let service: RunningSearchService;
  let client: SearchClient;
  const upsert = (items: ProductWithImageVectors[]) => client.upsertProducts(items, { modelId: 'model-x' });

  const start = async () => {
    service = await startSearchService({
      SEARCH_PORT: await freePort(),
      METRICS_PORT: 0,
      SEARCH_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      EMBEDDED_DURABLE: 'false',
    });
    client = new SearchClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 10_000 });
  };
  const stop = async () => {
    client.close();
    await service.close();
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-service-'));
    await start();
  });
  afterAll(async () => {
    await stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports SERVING on grpc.health.v1 once the store is open', async () => {
    const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    const health = new Health(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure());
    const status = await new Promise<{ status: string | number }>((resolve, reject) =>
      (health as unknown as { check: (req: object, cb: (e: Error | null, r: { status: string | number }) => void) => void }).check(
        { service: '' },
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
    health.close();
    expect([1, 'SERVING']).toContain(status.status);
  });

  it('refuses writes through the alias until ingestion created a collection and pointed the alias at it', async () => {
    await expectCode(upsert([item('a', 1)]), grpc.status.FAILED_PRECONDITION, /CreateCollection/);
    const collection = await client.createGeneration('model-x', DIMENSION);
    expect(collection).toBe('products_v1');
    expect(await client.swapAlias('products', collection)).toBeUndefined();
    expect(await upsert([item('a', 1), item('b', 1, { brand: 'zeta', inStock: false }, unit(0.9, 0.1))])).toEqual(['applied', 'applied']);
  });

  it('searches with filters and facets, and finds similar products', async () => {
    const page = await client.search({ modelId: 'model-x', vector: unit(1), limit: 10, withFacets: true });
    expect(page).toMatchObject({ collection: 'products_v1', modelId: 'model-x' });
    expect(page.hits.map((hit) => hit.product.productId)).toEqual(['a', 'b']);
    expect(page.hits[0]).toMatchObject({
      matchedImageId: 'main',
      matchedImageUrl: 'http://img.test/a.jpg',
      product: { brand: 'acme', attributes: {}, description: '' },
    });
    expect(page.facets?.brands).toEqual([
      { value: 'acme', count: 1 },
      { value: 'zeta', count: 1 },
    ]);
    const filtered = await client.search({ modelId: 'model-x', vector: unit(1), limit: 10, filter: { inStock: false, brands: ['zeta'], maxPrice: 10 } });
    expect(filtered.hits.map((hit) => hit.product.productId)).toEqual(['b']);
    const similar = await client.similar('a', { modelId: 'model-x', limit: 5 });
    expect(similar.hits.map((hit) => hit.product.productId)).toEqual(['b']);
  });

  it('keeps versions: stale writes, attribute updates, deletes with tombstones', async () => {
    expect(await upsert([item('c', 5)])).toEqual(['applied']);
    expect(await upsert([item('c', 4)])).toEqual(['stale']);
    expect(await client.updateAttributes([{ ...item('c', 6).product, title: 'renamed' }])).toEqual(['applied']);
    expect(await client.updateAttributes([item('zzz', 6).product])).toEqual(['not_found']);
    expect((await client.getProduct('c'))?.product).toMatchObject({ title: 'renamed', version: 6 });
    expect(await client.deleteProduct('c', 7)).toBe('applied');
    expect(await client.getProduct('c')).toBeUndefined();
    expect(await upsert([item('c', 6)])).toEqual(['stale']);
  });

  it('answers bad input with a clear status and keeps serving', async () => {
    await expectCode(client.search({ modelId: 'model-x', vector: unit(1).subarray(0, 4), limit: 5 }), grpc.status.INVALID_ARGUMENT, /dimension/);
    await expectCode(client.search({ modelId: 'model-x', vector: unit(1, Number.NaN), limit: 5 }), grpc.status.INVALID_ARGUMENT, /non-finite/);
    await expectCode(upsert([item('d', 1, {}, new Float32Array(3).fill(1))]), grpc.status.INVALID_ARGUMENT, /dimension/);
    await expectCode(client.search({ modelId: 'model-x', vector: unit(1), limit: 0 }), grpc.status.INVALID_ARGUMENT, /limit/);
    await expectCode(client.search({ modelId: 'model-x', vector: unit(1), limit: 10_000 }), grpc.status.INVALID_ARGUMENT, /limit/);
    // offset is uint32 on the wire: the client refuses -1 before sending; what a raw client could send is at most 2^32-1.
    await expectCode(client.search({ modelId: 'model-x', vector: unit(1), limit: 5, offset: -1 }), grpc.status.INVALID_ARGUMENT, /offset/);
    await expectCode(client.search({ modelId: 'model-x', vector: unit(1), limit: 5, offset: 4_294_967_295 }), grpc.status.INVALID_ARGUMENT, /offset/);
    await expectCode(client.search({ modelId: 'model-x', vector: new Float32Array(0), limit: 5 }), grpc.status.INVALID_ARGUMENT, /empty/);
    await expectCode(client.search({ modelId: 'model-x', collection: 'nope', vector: unit(1), limit: 5 }), grpc.status.NOT_FOUND, /nope/);
    await expectCode(client.similar('unknown-product', { modelId: 'model-x', limit: 5 }), grpc.status.NOT_FOUND);
    await expectCode(client.dropCollection('products_v1'), grpc.status.FAILED_PRECONDITION, /alias/);
    await expectCode(client.createGeneration('m', 0), grpc.status.INVALID_ARGUMENT);
    expect((await client.search({ modelId: 'model-x', vector: unit(1), limit: 1 })).hits).toHaveLength(1);
  });

  it("refuses vectors of another model than the collection's, of the same dimension, with FAILED_PRECONDITION naming both (MODEL_MISMATCH)", async () => {
    // Another version of the same model: same dimension, another vector space.
    const other = 'model-x@2';
    for (const call of [
      () => client.search({ modelId: other, vector: unit(1), limit: 5 }),
      () => client.search({ modelId: other, vector: unit(1), text: 'a', mode: 'hybrid', limit: 5 }),
      () => client.similar('a', { modelId: other, limit: 5 }),
      () => client.upsertProducts([item('g', 1)], { modelId: other }),
    ]) {
      const error = await call().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SearchCallError);
      expect(error).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: SearchErrorReason.modelMismatch, isModelMismatch: true });
      expect((error as SearchCallError).details).toBe('collection products_v1 holds vectors of model model-x; the request names model model-x@2');
    }
    // Nothing was written, and the collection's own model is served as before.
    expect(await client.getProduct('g')).toBeUndefined();
    expect((await client.search({ modelId: 'model-x', vector: unit(1), limit: 5 })).hits.length).toBeGreaterThan(0);
  });

  it('refuses a search with a vector, a similar and an upsert that name no model with INVALID_ARGUMENT naming model_id; a keyword search needs none', async () => {
    await expectCode(client.search({ vector: unit(1), limit: 5 }), grpc.status.INVALID_ARGUMENT, /^model_id is required: a search with a query vector/);
    await expectCode(client.similar('a', { limit: 5 }), grpc.status.INVALID_ARGUMENT, /^model_id is required: a similar request/);
    await expectCode(client.upsertProducts([item('g', 1)]), grpc.status.INVALID_ARGUMENT, /^model_id is required: an upsert/);
    expect(await client.getProduct('g')).toBeUndefined();
    const keyword = await client.search({ text: 'acme', mode: 'keyword', limit: 5 });
    expect(keyword.hits.map((hit) => hit.product.productId)).toContain('a');
  });

  it('exports latency per RPC and the size of each collection', async () => {
    const body = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    expect(body).toMatch(/search_rpc_duration_seconds_count\{[^}]*method="Search"[^}]*code="OK"/);
    expect(body).toMatch(/search_rpc_duration_seconds_count\{[^}]*method="Search"[^}]*code="INVALID_ARGUMENT"/);
    expect(body).toMatch(/search_collection_points\{[^}]*collection="products_v1"[^}]*\} 2/);
    expect(body).toMatch(/search_collection_products\{[^}]*collection="products_v1"[^}]*\} 2/);
  });

  it('serves the same data after a restart', async () => {
    const before = await client.search({ modelId: 'model-x', vector: unit(1), limit: 10, withFacets: true });
    await stop();
    await start();
    expect(await client.search({ modelId: 'model-x', vector: unit(1), limit: 10, withFacets: true })).toEqual(before);
    expect(await client.listCollections()).toEqual([
      { name: 'products_v1', modelId: 'model-x', dimension: DIMENSION, productCount: 2, pointCount: 2, aliases: ['products'] },
    ]);
    expect(await upsert([item('c', 6)])).toEqual(['stale']);
  });

  it('stores the images a product could not index and returns them with GetProduct until a write without failures', async () => {
    const failedImages = [{ imageId: 'back', imageUrl: 'http://img.test/f-back.jpg', stage: 'fetch', errorCode: 'http_status', reason: 'answered 404' }];
    expect(await upsert([{ ...item('f', 1), failedImages }])).toEqual(['applied']);
    expect(await client.getProduct('f')).toMatchObject({ images: [{ imageId: 'main', imageUrl: 'http://img.test/f.jpg' }], failedImages });
    expect(await client.updateAttributes([{ ...item('f', 2).product, title: 'renamed' }])).toEqual(['applied']);
    expect((await client.getProduct('f'))?.failedImages).toEqual(failedImages);
    expect(await upsert([item('f', 3)])).toEqual(['applied']);
    expect((await client.getProduct('f'))?.failedImages).toEqual([]);
    await expectCode(
      upsert([{ ...item('f', 4), failedImages: [{ ...failedImages[0], imageId: 'main' }] }]),
      grpc.status.INVALID_ARGUMENT,
      /both as indexed and as failed/,
    );
  });

  it('creates a named generation once, then answers ALREADY_EXISTS', async () => {
    await expectCode(client.createGeneration('model-x', DIMENSION, { name: 'products_v1' }), grpc.status.ALREADY_EXISTS, /products_v1 already exists/);
    expect(await client.createGeneration('model-x', DIMENSION, { name: 'products_v5' })).toBe('products_v5');
    await expectCode(client.createGeneration('model-x', DIMENSION, { name: 'products_v5' }), grpc.status.ALREADY_EXISTS);
    await expectCode(client.createGeneration('model-x', DIMENSION, { name: 'products' }), grpc.status.INVALID_ARGUMENT, /generation name/);
    expect(await client.createGeneration('model-x', DIMENSION)).toBe('products_v6');
    expect((await client.listCollections()).map((collection) => collection.name)).toEqual(['products_v1', 'products_v5', 'products_v6']);
  });
});

describe('search service over gRPC (Qdrant adapter)', () => {
  // real: the search service, the Qdrant adapter and client over HTTP. fake: the Qdrant server (FakeQdrantServer; no Qdrant can run here).
  it('serves through Qdrant and answers UNAVAILABLE with a reason once Qdrant is unreachable', async () => {
    const qdrant = new FakeQdrantServer();
    await qdrant.start();
    const service = await startSearchService({
      SEARCH_PORT: await freePort(),
      METRICS_PORT: 0,
      SEARCH_HOST: '127.0.0.1',
      QDRANT_URL: qdrant.url,
      QDRANT_API_KEY: 'not-a-real-key',
      QDRANT_RETRIES: 1,
      LOG_LEVEL: 'silent',
    });
    const client = new SearchClient({ address: `127.0.0.1:${service.port}` });
    try {
      expect(service.store).toBe('qdrant');
      const collection = await client.createGeneration('model-q', DIMENSION);
      await client.swapAlias('products', collection);
      expect(await client.upsertProducts([item('q1', 1)], { modelId: 'model-q' })).toEqual(['applied']);
      expect((await client.search({ modelId: 'model-q', vector: unit(1), limit: 5 })).hits.map((hit) => hit.product.productId)).toEqual(['q1']);
      expect(qdrant.requests.every((request) => request.path !== '/')).toBe(true);
      await qdrant.stop();
      await expectCode(client.search({ modelId: 'model-q', vector: unit(1), limit: 5 }), grpc.status.UNAVAILABLE, /Qdrant at .* is unavailable/);
    } finally {
      client.close();
      await service.close();
      await qdrant.stop();
    }
  });
});
