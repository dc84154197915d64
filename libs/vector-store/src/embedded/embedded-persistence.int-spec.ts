/**
 * real: the embedded store on disk (temp directory): write-ahead log,
 * snapshots, restart, torn log tails, the IVF index on a large collection.
 * mock: nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { DEFAULT_ALIAS, type ProductWithImageVectors } from '../types';
import { EmbeddedVectorStore } from './embedded.vector-store';
import { seededRandom } from './ivf-index';

const DIMENSION = 16;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-store-persistence-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function randomUnit(random: () => number, dimension = DIMENSION): Float32Array {
  const v = new Float32Array(dimension);
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    v[i] = random() * 2 - 1;
    norm += v[i] * v[i];
  }
  for (let i = 0; i < dimension; i++) v[i] /= Math.sqrt(norm);
  return v;
}

/** Vectors near one of `clusters` random centres, like embeddings of a catalog's kinds of product. */
function clusteredUnit(random: () => number, centres: Float32Array[], dimension: number): Float32Array {
  const centre = centres[Math.floor(random() * centres.length)];
  const noise = randomUnit(random, dimension);
  const v = new Float32Array(dimension);
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    v[i] = centre[i] + 0.6 * noise[i];
    norm += v[i] * v[i];
  }
  for (let i = 0; i < dimension; i++) v[i] /= Math.sqrt(norm);
  return v;
}

function catalog(count: number, seed = 1, dimension = DIMENSION): ProductWithImageVectors[] {
  const random = seededRandom(seed);
  const centres = Array.from({ length: 40 }, () => randomUnit(random, dimension));
  const draw = () => (dimension === DIMENSION ? randomUnit(random, dimension) : clusteredUnit(random, centres, dimension));
  return Array.from({ length: count }, (_, i) => ({
    product: {
      productId: `p${i}`,
      version: 1,
      title: `product ${i}`,
      description: '',
      brand: `brand${i % 7}`,
      categories: ['dept', `cat${i % 11}`],
      price: { amount: i % 300, currency: 'EUR' },
      inStock: i % 3 !== 0,
      attributes: { colour: 'red' },
    },
    images: [
      { imageId: 'a', imageUrl: `u/${i}/a`, vector: draw() },
      { imageId: 'b', imageUrl: `u/${i}/b`, vector: draw() },
    ],
  }));
}

async function openStore(options: ConstructorParameters<typeof EmbeddedVectorStore>[0] = {}): Promise<EmbeddedVectorStore> {
  const store = new EmbeddedVectorStore({ dir, durable: false, ...options });
  await store.open();
  return store;
}

describe('EmbeddedVectorStore persistence', () => {
  it('survives a restart with collections, aliases, products, tombstones and search results intact', async () => {
    const store = await openStore();
    const collection = await store.createGeneration('model-a', DIMENSION);
    await store.swapAlias(DEFAULT_ALIAS, collection);
    await store.upsertProducts(undefined, catalog(200));
    await store.deleteProduct(undefined, 'p5', 2);
    await store.updateAttributes(undefined, [{ ...catalog(1)[0].product, version: 3, title: 'renamed' }]);
    const query = randomUnit(seededRandom(99));
    const before = await store.searchSimilar({ vector: query, limit: 20, filter: { inStock: true }, withFacets: true });
    await store.close();

    const reopened = await openStore();
    const after = await reopened.searchSimilar({ vector: query, limit: 20, filter: { inStock: true }, withFacets: true });
    expect(after).toEqual(before);
    expect((await reopened.getProduct(undefined, 'p0'))?.product.title).toBe('renamed');
    expect(await reopened.getProduct(undefined, 'p5')).toBeUndefined();
    expect(await reopened.upsertProducts(undefined, catalog(6).slice(5))).toEqual(['stale']);
    expect(await reopened.listCollections()).toEqual([
      { name: collection, modelId: 'model-a', dimension: DIMENSION, productCount: 199, pointCount: 398, aliases: [DEFAULT_ALIAS] },
    ]);
    await reopened.close();
  });

  it('replays the log when the process stopped without a snapshot', async () => {
    const store = await openStore();
    const collection = await store.createGeneration('model-a', DIMENSION);
    await store.upsertProducts(collection, catalog(50));
    await store.deleteProduct(collection, 'p1', 9);
    // No close(): as if the process was killed. A second instance reads what the first logged.
    const recovered = await openStore();
    expect((await recovered.listCollections())[0]).toMatchObject({ name: collection, productCount: 49, pointCount: 98 });
    expect(await recovered.upsertProducts(collection, [{ ...catalog(2)[1], product: { ...catalog(2)[1].product, version: 8 } }])).toEqual(['stale']);
  });

  it('ignores a torn record at the end of the log and keeps appending after it', async () => {
    const store = await openStore();
    const collection = await store.createGeneration('model-a', DIMENSION);
    await store.upsertProducts(collection, catalog(10));
    const collectionDir = path.join(dir, 'collections', collection);
    const log = fs.readdirSync(collectionDir).find((name) => name.startsWith('wal-'))!;
    fs.appendFileSync(path.join(collectionDir, log), Buffer.from([200, 0, 0, 0, 1, 2, 3]));

    const recovered = await openStore();
    expect((await recovered.listCollections())[0]).toMatchObject({ productCount: 10 });
    await recovered.upsertProducts(collection, catalog(12).slice(10));
    await recovered.close();
    const again = await openStore();
    expect((await again.listCollections())[0]).toMatchObject({ productCount: 12, pointCount: 24 });
    await again.close();
  });

  it('keeps failed images through a log replay and through a snapshot', async () => {
    const store = await openStore();
    const collection = await store.createGeneration('model-a', DIMENSION);
    const [first, second] = catalog(2);
    const failedImages = [{ imageId: 'c', imageUrl: 'u/0/c', stage: 'fetch', errorCode: 'http_status', reason: 'answered 404' }];
    await store.upsertProducts(collection, [{ ...first, failedImages }, second]);
    // No close(): the second instance replays the log.
    const recovered = await openStore();
    expect((await recovered.getProduct(collection, 'p0'))?.failedImages).toEqual(failedImages);
    expect((await recovered.getProduct(collection, 'p1'))?.failedImages).toEqual([]);
    await recovered.close();
    expect(fs.readdirSync(path.join(dir, 'collections', collection)).filter((name) => name.startsWith('wal-'))).toEqual([]);
    const reopened = await openStore();
    expect((await reopened.getProduct(collection, 'p0'))?.failedImages).toEqual(failedImages);
    expect((await reopened.getProduct(collection, 'p1'))?.failedImages).toEqual([]);
    await reopened.close();
  });

  it('keeps image content (hash and host validators) through a log replay and through a snapshot', async () => {
    const store = await openStore();
    const collection = await store.createGeneration('model-a', DIMENSION);
    const [first, second] = catalog(2);
    const content = { sha256: 'ab'.repeat(32), etag: '"v7"', lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' };
    const withContent = { ...first, images: first.images.map((image, i) => (i === 0 ? { ...image, content } : image)) };
    await store.upsertProducts(collection, [withContent, second]);
    const expected = withContent.images.map(({ imageId, imageUrl, content: known }) => ({ imageId, imageUrl, ...(known ? { content: known } : {}) }));
    // No close(): the second instance replays the log.
    const recovered = await openStore();
    expect((await recovered.getProduct(collection, 'p0'))?.images).toEqual(expected);
    expect((await recovered.getProduct(collection, 'p1'))?.images.every((image) => image.content === undefined)).toBe(true);
    await recovered.close();
    const reopened = await openStore();
    expect((await reopened.getProduct(collection, 'p0'))?.images).toEqual(expected);
    await reopened.close();
  });

  it("keeps images' descriptions and their words through a log replay and through a snapshot", async () => {
    const store = await openStore();
    const collection = await store.createGeneration('model-a', DIMENSION);
    const [first] = catalog(1);
    const described = { ...first, images: first.images.map((image) => ({ ...image, description: 'a teal checked backpack' })) };
    await store.upsertProducts(collection, [described]);
    const expectDescribed = async (reader: EmbeddedVectorStore) => {
      expect((await reader.getProduct(collection, 'p0'))?.images.map((image) => image.description)).toEqual(
        described.images.map(() => 'a teal checked backpack'),
      );
      const found = await reader.searchSimilar({ collection, text: 'checked backpack', mode: 'keyword', limit: 5 });
      expect(found.hits.map((hit) => hit.product.productId)).toEqual(['p0']);
    };
    // No close(): the second instance replays the log.
    const recovered = await openStore();
    await expectDescribed(recovered);
    await recovered.close();
    const reopened = await openStore();
    await expectDescribed(reopened);
    await reopened.close();
  });

  it('reads a snapshot and a log written before failed images were recorded, as products without failures', async () => {
    // The on-disk format of earlier versions, written by hand so this test pins it: no failedImages anywhere.
    const collectionDir = path.join(dir, 'collections', 'products_v1');
    fs.mkdirSync(path.join(collectionDir, 'snapshot-1'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ aliases: { [DEFAULT_ALIAS]: 'products_v1' }, lastGeneration: 1 }));
    fs.writeFileSync(
      path.join(collectionDir, 'meta.json'),
      JSON.stringify({ name: 'products_v1', modelId: 'model-a', dimension: DIMENSION, createdAt: '2026-01-01T00:00:00.000Z' }),
    );
    const [fromSnapshot, fromLog] = catalog(2);
    const snapshotLine = { productId: 'p0', version: 1, data: fromSnapshot.product, images: [{ imageId: 'a', imageUrl: 'u/0/a' }], lists: [-1] };
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'products.jsonl'), `${JSON.stringify(snapshotLine)}\n`);
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'vectors.f32'), Buffer.from(fromSnapshot.images[0].vector.buffer));
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'manifest.json'), JSON.stringify({ seq: 1, dimension: DIMENSION, index: null }));
    const header = Buffer.from(
      JSON.stringify({ op: 'upsert', seq: 2, products: [{ product: fromLog.product, images: [{ imageId: 'a', imageUrl: 'u/1/a' }] }] }),
    );
    const jsonLength = Buffer.alloc(4);
    jsonLength.writeUInt32LE(header.length);
    const payload = Buffer.concat([jsonLength, header, Buffer.from(fromLog.images[0].vector.buffer)]);
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(payload.length, 0);
    prefix.writeUInt32LE(crc32(payload), 4);
    fs.writeFileSync(path.join(collectionDir, 'wal-2.log'), Buffer.concat([prefix, payload]));

    const store = await openStore();
    expect(await store.getProduct(undefined, 'p0')).toEqual({ product: fromSnapshot.product, images: [{ imageId: 'a', imageUrl: 'u/0/a' }], failedImages: [] });
    expect(await store.getProduct(undefined, 'p1')).toEqual({ product: fromLog.product, images: [{ imageId: 'a', imageUrl: 'u/1/a' }], failedImages: [] });
    const hit = await store.searchSimilar({ vector: fromLog.images[0].vector, limit: 1 });
    expect(hit.hits[0]).toMatchObject({ matchedImageId: 'a', product: { productId: 'p1' } });
    await store.close();

    // Upgraded on close: a checksummed (format 2) snapshot replaces the old snapshot and log.
    expect(fs.readdirSync(collectionDir).sort()).toEqual(['meta.json', 'snapshot-2']);
    expect(JSON.parse(fs.readFileSync(path.join(collectionDir, 'snapshot-2', 'manifest.json'), 'utf8'))).toMatchObject({
      format: 2,
      seq: 2,
      products: 2,
      vectors: 2,
    });
    const upgraded = await openStore();
    expect((await upgraded.listCollections())[0]).toMatchObject({ productCount: 2, pointCount: 2 });
    expect((await upgraded.listCollections())[0].damage).toBeUndefined();
    await upgraded.close();
  });

  it('upgrades a snapshot written before checksums on close even when nothing was written since', async () => {
    const collectionDir = path.join(dir, 'collections', 'products_v1');
    fs.mkdirSync(path.join(collectionDir, 'snapshot-1'), { recursive: true });
    fs.writeFileSync(
      path.join(collectionDir, 'meta.json'),
      JSON.stringify({ name: 'products_v1', modelId: 'model-a', dimension: DIMENSION, createdAt: '2026-01-01T00:00:00.000Z' }),
    );
    const [only] = catalog(1);
    const line = { productId: 'p0', version: 1, data: only.product, images: [{ imageId: 'a', imageUrl: 'u/0/a' }], lists: [-1] };
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'products.jsonl'), `${JSON.stringify(line)}\n`);
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'vectors.f32'), Buffer.from(only.images[0].vector.buffer));
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'manifest.json'), JSON.stringify({ seq: 1, dimension: DIMENSION, index: null }));

    const store = await openStore();
    await store.close();
    expect(JSON.parse(fs.readFileSync(path.join(collectionDir, 'snapshot-1', 'manifest.json'), 'utf8'))).toMatchObject({ format: 2, seq: 1, products: 1 });
  });

  it('refuses a snapshot written before checksums whose vectors file is short, instead of zero-filling', async () => {
    const collectionDir = path.join(dir, 'collections', 'products_v1');
    fs.mkdirSync(path.join(collectionDir, 'snapshot-1'), { recursive: true });
    fs.writeFileSync(
      path.join(collectionDir, 'meta.json'),
      JSON.stringify({ name: 'products_v1', modelId: 'model-a', dimension: DIMENSION, createdAt: '2026-01-01T00:00:00.000Z' }),
    );
    const [only] = catalog(1);
    const line = { productId: 'p0', version: 1, data: only.product, images: [{ imageId: 'a', imageUrl: 'u/0/a' }], lists: [-1] };
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'products.jsonl'), `${JSON.stringify(line)}\n`);
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'vectors.f32'), Buffer.from(only.images[0].vector.buffer).subarray(0, 30));
    fs.writeFileSync(path.join(collectionDir, 'snapshot-1', 'manifest.json'), JSON.stringify({ seq: 1, dimension: DIMENSION, index: null }));

    const store = await openStore();
    expect((await store.listCollections())[0].damage).toBe(
      'snapshot-1/vectors.f32 at byte 30: the file ends at byte 30, 34 bytes short; affected: the vectors of 1 products (p0)',
    );
    await store.close();
  });

  it('keeps a dropped collection dropped and never reuses its generation number', async () => {
    const store = await openStore();
    const first = await store.createGeneration('model-a', DIMENSION);
    const second = await store.createGeneration('model-b', DIMENSION);
    await store.swapAlias(DEFAULT_ALIAS, second);
    await store.dropCollection(first);
    await store.close();
    const reopened = await openStore();
    expect((await reopened.listCollections()).map((info) => info.name)).toEqual([second]);
    expect(await reopened.createGeneration('model-c', DIMENSION)).toBe('products_v3');
    await reopened.close();
  });

  it('indexes a large collection (IVF), keeps recall against exact search, and restores the index after a restart', async () => {
    const dimension = 32;
    const exact = await openStore({ index: { exactSearchBelow: Number.MAX_SAFE_INTEGER } });
    const approximate = new EmbeddedVectorStore({ dir: path.join(dir, 'ivf'), durable: false, index: { exactSearchBelow: 2_000 } });
    await approximate.open();
    const products = catalog(6_000, 7, dimension);
    const exactCollection = await exact.createGeneration('m', dimension);
    const ivfCollection = await approximate.createGeneration('m', dimension);
    for (let i = 0; i < products.length; i += 500) {
      await exact.upsertProducts(exactCollection, products.slice(i, i + 500));
      await approximate.upsertProducts(ivfCollection, products.slice(i, i + 500));
    }
    // Queries near the catalog's own vectors, as real queries are (uniform random data is the benchmark's worst case).
    const random = seededRandom(3);
    const queries = Array.from({ length: 30 }, () =>
      products[Math.floor(random() * products.length)].images[0].vector.map((value) => value + (random() - 0.5) * 0.2),
    );
    const recall = async (store: EmbeddedVectorStore, collection: string) => {
      let found = 0;
      for (const vector of queries) {
        const truth = new Set((await exact.searchSimilar({ collection: exactCollection, vector, limit: 10 })).hits.map((hit) => hit.product.productId));
        const got = (await store.searchSimilar({ collection, vector, limit: 10 })).hits;
        expect(got).toHaveLength(10);
        found += got.filter((hit) => truth.has(hit.product.productId)).length;
      }
      return found / (queries.length * 10);
    };
    expect(await recall(approximate, ivfCollection)).toBeGreaterThanOrEqual(0.9);
    // Filters still return full pages from the index (lists are probed until the page is full).
    const filtered = await approximate.searchSimilar({
      collection: ivfCollection,
      vector: queries[0],
      limit: 10,
      filter: { categories: ['cat3'], inStock: false },
    });
    expect(filtered.hits).toHaveLength(10);
    for (const hit of filtered.hits) expect(hit.product).toMatchObject({ inStock: false, categories: ['dept', 'cat3'] });

    await approximate.close();
    const reopened = new EmbeddedVectorStore({ dir: path.join(dir, 'ivf'), durable: false, index: { exactSearchBelow: 2_000 } });
    await reopened.open();
    expect(await recall(reopened, ivfCollection)).toBeGreaterThanOrEqual(0.9);
    await reopened.close();
    await exact.close();
  });
});
