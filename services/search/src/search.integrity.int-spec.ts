/**
 * A damaged collection through the running search service: started on a data directory whose
 * collection `products_v1` (behind the alias `products`) has a flipped bit in its snapshot
 * vectors, the service starts, stays live, reports that collection NOT_SERVING on its own health
 * name, FAILED_PRECONDITION with the reason COLLECTION_DAMAGED (other FAILED_PRECONDITIONs carry
 * none) for its searches and writes, the damage in ListCollections and the metric, one error log
 * line with the remedy, serves the collection beside it, and lets the rebuild's steps (new
 * generation, alias swap, drop) replace it.
 *
 * real: the search service (gRPC server, handler, health, metrics server), the embedded store
 * in a temp directory, SearchClient and a grpc.health.v1 client over gRPC, pino.
 * mock: nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import pino from 'pino';
import type { ProductWithImageVectors } from '@vsearch/contracts';
import { SearchCallError, SearchClient, SearchErrorReason } from '@vsearch/grpc-clients';
import { freePort } from '@vsearch/testing';
import { SEARCH_SERVICE_NAME, startSearchService, type RunningSearchService } from './index';

const DIMENSION = 8;

function item(productId: string, direction: number): ProductWithImageVectors {
  const vector = new Float32Array(DIMENSION);
  vector[direction % DIMENSION] = 1;
  return {
    product: {
      productId,
      version: 1,
      title: productId,
      description: '',
      categories: ['shoes'],
      price: { amount: 10, currency: 'EUR' },
      inStock: true,
      brand: 'acme',
      attributes: {},
    },
    images: [{ imageId: 'main', imageUrl: `http://img.test/${productId}.jpg`, vector }],
  };
}

const catalog = Array.from({ length: 20 }, (_, i) => item(`p${i}`, i));

describe('search service with a damaged collection', () => {
  let dataDir: string;
  let service: RunningSearchService;
  let client: SearchClient;
  let health: grpc.Client;
  const logLines: Array<{ level: number; msg: string; collection?: string }> = [];

  const start = async () => {
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    service = await startSearchService(
      { SEARCH_PORT: await freePort(), METRICS_PORT: 0, SEARCH_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', EMBEDDED_DURABLE: 'false' },
      pino({ level: 'info' }, logStream),
    );
    client = new SearchClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 10_000 });
    const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    health = new Health(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure());
  };
  const stop = async () => {
    health.close();
    client.close();
    await service.close();
  };
  const healthOf = (name: string) =>
    new Promise<string>((resolve, reject) =>
      (health as unknown as { check: (req: object, cb: (e: Error | null, r: { status: string | number }) => void) => void }).check(
        { service: name },
        (error, response) => (error ? reject(error) : resolve(String(response.status))),
      ),
    );

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-integrity-'));
    await start();
    await client.swapAlias('products', await client.createGeneration('model-x', DIMENSION));
    await client.createGeneration('model-x', DIMENSION);
    await client.upsertProducts(catalog, { modelId: 'model-x' });
    await client.upsertProducts(catalog, { collection: 'products_v2', modelId: 'model-x' });
    await stop(); // snapshots both collections

    const snapshot = fs.readdirSync(path.join(dataDir, 'vector-store/collections/products_v1')).find((name) => name.startsWith('snapshot-'))!;
    const vectors = path.join(dataDir, 'vector-store/collections/products_v1', snapshot, 'vectors.f32');
    const bytes = fs.readFileSync(vectors);
    bytes[bytes.length >> 1] ^= 0x01;
    fs.writeFileSync(vectors, bytes);
    await start();
  });
  afterAll(async () => {
    await stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts and stays live, with the damaged collection and its alias NOT_SERVING and the other SERVING', async () => {
    expect(await healthOf('')).toMatch(/^(1|SERVING)$/);
    expect(await healthOf(SEARCH_SERVICE_NAME)).toMatch(/^(1|SERVING)$/);
    expect(await healthOf(`${SEARCH_SERVICE_NAME}/products_v1`)).toMatch(/^(2|NOT_SERVING)$/);
    expect(await healthOf(`${SEARCH_SERVICE_NAME}/products`)).toMatch(/^(2|NOT_SERVING)$/);
    expect(await healthOf(`${SEARCH_SERVICE_NAME}/products_v2`)).toMatch(/^(1|SERVING)$/);
  });

  it('names the damage in ListCollections, the metric and one error log line with the remedy', async () => {
    const [damaged, intact] = await client.listCollections();
    expect(damaged.name).toBe('products_v1');
    expect(damaged.damage).toMatch(
      /^snapshot-\d+\/vectors\.f32 at byte 0: checksum mismatch in bytes 0-\d+ \(block 1 of 1\); affected: the vectors of 20 products/,
    );
    expect(intact).toMatchObject({ name: 'products_v2', productCount: 20 });
    expect(intact.damage).toBeUndefined();

    const metrics = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/vsearch_search_collection_damaged\{[^}]*collection="products_v1"[^}]*\} 1/);
    expect(metrics).toMatch(/vsearch_search_collection_damaged\{[^}]*collection="products_v2"[^}]*\} 0/);

    const errors = logLines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ collection: 'products_v1' });
    expect(errors[0].msg).toContain(damaged.damage);
    expect(errors[0].msg).toContain('ingestion rebuilds it from the catalog topic automatically; or run `vsearch reindex`');
  });

  it('answers searches and writes on the damaged collection FAILED_PRECONDITION naming the damage, and serves the other', async () => {
    for (const call of [
      client.search({ modelId: 'model-x', vector: catalog[3].images[0].vector, limit: 5 }),
      client.similar('p3', { modelId: 'model-x', limit: 5 }),
      client.getProduct('p3'),
      client.upsertProducts([item('new', 1)], { modelId: 'model-x' }),
    ]) {
      const error = await call.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SearchCallError);
      expect(grpc.status[(error as SearchCallError).code]).toBe('FAILED_PRECONDITION');
      expect((error as SearchCallError).details).toMatch(/collection products_v1 is damaged .*vectors\.f32 at byte 0/);
      expect((error as SearchCallError).reason).toBe(SearchErrorReason.collectionDamaged);
      expect((error as SearchCallError).isCollectionDamaged).toBe(true);
    }
    // Another FAILED_PRECONDITION (dropping the collection the alias points at) carries no damage reason.
    const inUse = await client.dropCollection('products_v1').then(
      () => undefined,
      (caught: unknown) => caught as SearchCallError,
    );
    expect(grpc.status[inUse!.code]).toBe('FAILED_PRECONDITION');
    expect(inUse!.reason).toBeUndefined();
    expect(inUse!.isCollectionDamaged).toBe(false);
    const page = await client.search({ collection: 'products_v2', modelId: 'model-x', vector: catalog[3].images[0].vector, limit: 1 });
    expect(page.hits.map((hit) => hit.product.productId)).toEqual(['p3']);
  });

  it('lets the rebuild replace it: a new generation, the alias swapped to it, the damaged one dropped', async () => {
    const rebuilt = await client.createGeneration('model-x', DIMENSION);
    await client.upsertProducts(catalog, { collection: rebuilt, modelId: 'model-x' });
    expect(await client.swapAlias('products', rebuilt)).toBe('products_v1');
    expect(await healthOf(`${SEARCH_SERVICE_NAME}/products`)).toMatch(/^(1|SERVING)$/);
    await client.dropCollection('products_v1');
    expect(await healthOf(`${SEARCH_SERVICE_NAME}/products_v1`)).toMatch(/^(2|NOT_SERVING)$/);
    expect((await client.listCollections()).map((info) => [info.name, info.damage])).toEqual([
      ['products_v2', undefined],
      [rebuilt, undefined],
    ]);
    expect((await client.search({ modelId: 'model-x', vector: catalog[3].images[0].vector, limit: 1 })).hits[0].product.productId).toBe('p3');
  });
});
