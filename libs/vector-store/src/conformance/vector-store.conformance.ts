/**
 * The behaviour every VectorStore adapter must show, as one jest suite run
 * against each adapter (the embedded store in CI, Qdrant when QDRANT_URL is
 * set). Collections are created through the port, so the suite also runs on a
 * shared Qdrant server; it never assumes the store starts empty, except where
 * `freshStore` says it does.
 */
import { isVectorStoreError, type VectorStoreErrorKind } from '../errors';
import { generationName, generationOf } from '../naming';
import {
  DEFAULT_ALIAS,
  type FailedImage,
  type ProductData,
  type ProductTag,
  type ProductWithImageVectors,
  type RetagProgress,
  type ScannedProduct,
  type SearchFilter,
  type SearchPage,
  type SearchQuery,
  type TaggingInput,
  type ImageContent,
} from '../types';
import type { VectorStore } from '../vector-store.port';

export interface ConformanceOptions {
  /** A new adapter instance (already opened by the suite) over the backing store. */
  createStore: () => Promise<VectorStore> | VectorStore;
  /** True when every created store starts without collections or aliases (embedded in a temp dir or memory). */
  freshStore: boolean;
  /**
   * True when the stores createStore makes share one backend (a Qdrant server), as replicas do: the
   * active tagging one saves is then read through another. Embedded stores each own their data
   * (their durability across a restart is embedded-tags.int-spec's); there the saving store reads it back.
   */
  sharedBackend?: boolean;
}

const DIMENSION = 4;
const MODEL = 'conformance-model';
const E0 = [1, 0, 0, 0];

export function vector(...values: number[]): Float32Array {
  const out = new Float32Array(DIMENSION);
  out.set(values.slice(0, DIMENSION));
  return out;
}

export function product(productId: string, overrides: Partial<ProductData> = {}): ProductData {
  return {
    productId,
    version: 1,
    title: `title of ${productId}`,
    description: '',
    brand: '',
    categories: ['misc'],
    price: { amount: 10, currency: 'EUR' },
    inStock: true,
    attributes: {},
    ...overrides,
  };
}

function withImages(data: ProductData, images: Array<[string, number[]]>): ProductWithImageVectors {
  return {
    product: data,
    images: images.map(([imageId, values]) => ({ imageId, imageUrl: `http://images.test/${data.productId}/${imageId}.jpg`, vector: vector(...values) })),
  };
}

/**
 * The fixture catalog. Cosine scores against E0: p1 1.0 (image "side"),
 * p2 0.994, p3 0.707, p6 0.577, p5 0.050, p4 -0.099.
 */
const CATALOG: ProductWithImageVectors[] = [
  withImages(
    product('p1', { brand: 'acme', categories: ['shoes', 'boots'], price: { amount: 50, currency: 'EUR' }, inStock: true, attributes: { colour: 'red' } }),
    [
      ['front', [0.8, 0.6, 0, 0]],
      ['side', [1, 0, 0, 0]],
      ['back', [0, 0, 0, 1]],
    ],
  ),
  withImages(product('p2', { brand: 'zeta', categories: ['shoes', 'sneakers'], price: { amount: 80, currency: 'EUR' }, inStock: false }), [
    ['main', [0.9, 0.1, 0, 0]],
  ]),
  withImages(product('p3', { brand: 'acme', categories: ['bags'], price: { amount: 120, currency: 'EUR' }, inStock: true }), [['main', [0.7, 0.7, 0, 0]]]),
  withImages(product('p4', { brand: '', categories: ['bags', 'totes'], price: { amount: 20, currency: 'EUR' }, inStock: true }), [['main', [-0.1, 1, 0, 0]]]),
  withImages(product('p5', { brand: 'zeta', categories: ['hats'], price: { amount: 35.5, currency: 'EUR' }, inStock: false }), [['main', [0.05, 0, 1, 0]]]),
  withImages(product('p6', { brand: 'kilo', categories: ['shoes', 'boots'], price: { amount: 200, currency: 'EUR' }, inStock: true }), [
    ['main', [0.5, 0, 0.5, 0.5]],
  ]),
];

const ids = (result: SearchPage) => result.hits.map((hit) => hit.product.productId);

async function expectKind(promise: Promise<unknown>, kind: VectorStoreErrorKind, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (!isVectorStoreError(caught, kind))
    throw new Error(`expected a VectorStoreError of kind ${kind}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  if (message) expect(caught.message).toMatch(message);
}

export function describeVectorStoreConformance(adapterName: string, options: ConformanceOptions): void {
  describe(`VectorStore conformance: ${adapterName}`, () => {
    let store: VectorStore;
    let collection: string;

    const search = (filter?: SearchFilter, extra: { limit?: number; offset?: number; scoreThreshold?: number; withFacets?: boolean } = {}) =>
      store.searchSimilar({
        collection,
        vector: vector(...E0),
        filter,
        limit: extra.limit ?? 10,
        offset: extra.offset,
        scoreThreshold: extra.scoreThreshold,
        withFacets: extra.withFacets,
      });

    beforeEach(async () => {
      store = await options.createStore();
      await store.open();
      collection = await store.createGeneration(MODEL, DIMENSION);
    });

    afterEach(async () => {
      await store.close();
    });

    describe('collections and aliases', () => {
      it('names generations products_v{n} in increasing order and records model id and dimension', async () => {
        const next = await store.createGeneration('other-model', 8);
        expect(collection).toMatch(/^products_v\d+$/);
        expect(Number(next.slice('products_v'.length))).toBeGreaterThan(Number(collection.slice('products_v'.length)));
        const listed = await store.listCollections();
        const names = listed.map((info) => info.name);
        expect(names.indexOf(collection)).toBeLessThan(names.indexOf(next));
        expect(listed.find((info) => info.name === next)).toMatchObject({ modelId: 'other-model', dimension: 8, productCount: 0, pointCount: 0, aliases: [] });
      });

      it('counts products and points per collection and lists aliases', async () => {
        await store.upsertProducts(collection, CATALOG);
        await store.swapAlias('conformance-alias', collection);
        const info = (await store.listCollections()).find((candidate) => candidate.name === collection);
        expect(info).toMatchObject({ modelId: MODEL, dimension: DIMENSION, productCount: 6, pointCount: 8 });
        expect(info?.aliases).toContain('conformance-alias');
      });

      if (options.freshStore) {
        it('refuses writes and searches through the default alias until it points at a collection', async () => {
          await expectKind(store.upsertProducts(undefined, CATALOG.slice(0, 1)), 'failed-precondition', /CreateCollection.*SwapAlias/);
          await expectKind(store.searchSimilar({ vector: vector(...E0), limit: 5 }), 'failed-precondition');
          await store.swapAlias(DEFAULT_ALIAS, collection);
          expect(await store.upsertProducts(undefined, CATALOG.slice(0, 1))).toEqual(['applied']);
          expect((await store.searchSimilar({ vector: vector(...E0), limit: 5 })).collection).toBe(collection);
        });
      }

      it('swaps an alias atomically and reports the previous collection', async () => {
        const next = await store.createGeneration(MODEL, DIMENSION);
        await store.upsertProducts(collection, CATALOG.slice(0, 2));
        await store.upsertProducts(next, CATALOG.slice(2, 4));
        const alias = `swap-${collection}`;
        expect(await store.swapAlias(alias, collection)).toBeUndefined();
        expect((await store.searchSimilar({ collection: alias, vector: vector(...E0), limit: 10 })).collection).toBe(collection);
        expect(await store.swapAlias(alias, next)).toBe(collection);
        const result = await store.searchSimilar({ collection: alias, vector: vector(...E0), limit: 10 });
        expect(result).toMatchObject({ collection: next, modelId: MODEL });
        expect(ids(result).sort()).toEqual(['p3', 'p4']);
      });

      it('never fails a search while the alias is swapped back and forth', async () => {
        const next = await store.createGeneration(MODEL, DIMENSION);
        await store.upsertProducts(collection, CATALOG.slice(0, 3));
        await store.upsertProducts(next, CATALOG.slice(3));
        const alias = `live-${collection}`;
        await store.swapAlias(alias, collection);
        let swapping = true;
        const swaps = (async () => {
          for (let i = 0; i < 20; i++) await store.swapAlias(alias, i % 2 === 0 ? next : collection);
          swapping = false;
        })();
        const answered: string[] = [];
        while (swapping) {
          // Yield to I/O between rounds, so the swaps (which persist) make progress.
          await new Promise((resolve) => setImmediate(resolve));
          const results = await Promise.all(Array.from({ length: 8 }, () => store.searchSimilar({ collection: alias, vector: vector(...E0), limit: 3 })));
          for (const result of results) {
            expect(result.hits.length).toBe(3);
            expect([collection, next]).toContain(result.collection);
            answered.push(result.collection);
          }
        }
        await swaps;
        expect(answered.length).toBeGreaterThan(0);
      });

      it('refuses to drop a collection an alias points at, then drops it once unaliased', async () => {
        const next = await store.createGeneration(MODEL, DIMENSION);
        const alias = `drop-${collection}`;
        await store.swapAlias(alias, collection);
        await expectKind(store.dropCollection(collection), 'failed-precondition', new RegExp(alias));
        await store.swapAlias(alias, next);
        await store.dropCollection(collection);
        expect((await store.listCollections()).map((info) => info.name)).not.toContain(collection);
        await expectKind(store.searchSimilar({ collection, vector: vector(...E0), limit: 1 }), 'not-found');
        await expectKind(store.dropCollection(collection), 'not-found');
      });

      it('answers not-found for an unknown collection on every operation', async () => {
        const unknown = 'no_such_collection';
        await expectKind(store.searchSimilar({ collection: unknown, vector: vector(...E0), limit: 1 }), 'not-found');
        await expectKind(store.upsertProducts(unknown, CATALOG.slice(0, 1)), 'not-found');
        await expectKind(store.deleteProduct(unknown, 'p1', 1), 'not-found');
        await expectKind(store.getProduct(unknown, 'p1'), 'not-found');
        await expectKind(store.similarToProduct({ collection: unknown, productId: 'p1', limit: 1 }), 'not-found');
        await expectKind(store.swapAlias('some-alias', unknown), 'not-found');
      });

      it('refuses a generation without a model id or with a bad dimension', async () => {
        await expectKind(store.createGeneration('', 4), 'invalid-argument');
        await expectKind(store.createGeneration(MODEL, 0), 'invalid-argument');
      });

      it('creates a named generation once, answers already-exists afterwards, and numbers later generations after it', async () => {
        const highest = Math.max(...(await store.listCollections()).map((info) => generationOf(info.name) ?? 0));
        // A number past the next one, so the store must take the name as given (and skip numbers).
        const name = generationName(highest + 3);
        expect(await store.createGeneration(MODEL, DIMENSION, name)).toBe(name);
        expect((await store.listCollections()).find((info) => info.name === name)).toMatchObject({
          modelId: MODEL,
          dimension: DIMENSION,
          productCount: 0,
          aliases: [],
        });
        await expectKind(store.createGeneration(MODEL, DIMENSION, name), 'already-exists', new RegExp(name));
        await expectKind(store.createGeneration('other-model', 8, name), 'already-exists');
        expect((await store.listCollections()).find((info) => info.name === name)).toMatchObject({ modelId: MODEL, dimension: DIMENSION });
        expect(generationOf(await store.createGeneration(MODEL, DIMENSION))).toBeGreaterThan(highest + 3);
      });

      it('lets exactly one of two concurrent creates of one named generation win', async () => {
        const highest = Math.max(...(await store.listCollections()).map((info) => generationOf(info.name) ?? 0));
        const name = generationName(highest + 1);
        const results = await Promise.allSettled([store.createGeneration(MODEL, DIMENSION, name), store.createGeneration(MODEL, DIMENSION, name)]);
        expect(results.filter((result) => result.status === 'fulfilled').map((result) => result.value)).toEqual([name]);
        const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        expect(isVectorStoreError(refused?.reason, 'already-exists')).toBe(true);
        expect((await store.listCollections()).filter((info) => info.name === name)).toHaveLength(1);
      });

      it.each(['products', 'products_v0', 'products_v01', 'other_v2', 'products_v1 '])('refuses to create a generation named %j', async (name) => {
        await expectKind(store.createGeneration(MODEL, DIMENSION, name), 'invalid-argument', /generation name/);
      });
    });

    describe('vectors', () => {
      it('refuses vectors whose dimension differs from the collection', async () => {
        const wrong = { ...CATALOG[1], images: [{ imageId: 'x', imageUrl: '', vector: new Float32Array(DIMENSION + 1).fill(0.5) }] };
        await expectKind(store.upsertProducts(collection, [wrong]), 'invalid-argument', /dimension/);
        await expectKind(store.searchSimilar({ collection, vector: new Float32Array(DIMENSION - 1).fill(1), limit: 1 }), 'invalid-argument', /dimension/);
        expect(await store.getProduct(collection, 'p2')).toBeUndefined();
      });

      it('refuses NaN, infinite and all-zero vectors', async () => {
        const nan = { ...CATALOG[1], images: [{ imageId: 'x', imageUrl: '', vector: vector(1, Number.NaN, 0, 0) }] };
        await expectKind(store.upsertProducts(collection, [nan]), 'invalid-argument', /non-finite/);
        await expectKind(store.searchSimilar({ collection, vector: vector(Infinity, 0, 0, 0), limit: 1 }), 'invalid-argument', /non-finite/);
        await expectKind(store.searchSimilar({ collection, vector: vector(0, 0, 0, 0), limit: 1 }), 'invalid-argument', /zeros/);
      });

      it('refuses a product without images', async () => {
        await expectKind(store.upsertProducts(collection, [{ product: product('bare'), images: [] }]), 'invalid-argument', /image/);
      });
    });

    describe('model guard', () => {
      // Same dimension, another version of the model: only the model id tells the vector spaces apart.
      const OTHER_VERSION = `${MODEL}@2`;

      async function expectModelMismatch(promise: Promise<unknown>): Promise<void> {
        await expectKind(promise, 'failed-precondition', new RegExp(`${MODEL}.*${OTHER_VERSION}`));
        await promise.catch((error: unknown) => expect(isVectorStoreError(error) && error.reason).toBe('model-mismatch'));
      }

      it("refuses a search, a similar and an upsert naming another model than the collection's, even of equal dimension, naming both", async () => {
        await store.upsertProducts(collection, CATALOG.slice(0, 2), { modelId: MODEL });
        await expectModelMismatch(store.searchSimilar({ collection, vector: vector(...E0), limit: 5, modelId: OTHER_VERSION }));
        await expectModelMismatch(store.similarToProduct({ collection, productId: 'p1', limit: 5, modelId: OTHER_VERSION }));
        await expectModelMismatch(store.upsertProducts(collection, [CATALOG[2]], { modelId: OTHER_VERSION }));
        expect(await store.getProduct(collection, 'p3')).toBeUndefined();
      });

      it("serves requests naming the collection's model, through the alias too", async () => {
        await store.upsertProducts(collection, CATALOG.slice(0, 2), { modelId: MODEL });
        expect(ids(await store.searchSimilar({ collection, vector: vector(...E0), limit: 5, modelId: MODEL }))).toEqual(['p1', 'p2']);
        expect(ids(await store.similarToProduct({ collection, productId: 'p1', limit: 5, modelId: MODEL }))).toEqual(['p2']);
        const live = `guard-${collection}`;
        await store.swapAlias(live, collection);
        const page = await store.searchSimilar({ collection: live, vector: vector(...E0), limit: 5, modelId: MODEL });
        expect(page).toMatchObject({ collection, modelId: MODEL });
        await expectModelMismatch(store.searchSimilar({ collection: live, vector: vector(...E0), limit: 5, modelId: OTHER_VERSION }));
      });
    });

    describe('search', () => {
      beforeEach(async () => {
        expect(await store.upsertProducts(collection, CATALOG)).toEqual(CATALOG.map(() => 'applied'));
      });

      it('returns an empty page from an empty collection', async () => {
        const empty = await store.createGeneration(MODEL, DIMENSION);
        const result = await store.searchSimilar({ collection: empty, vector: vector(...E0), limit: 10, withFacets: true });
        expect(result).toMatchObject({ hits: [], total: 0, collection: empty, modelId: MODEL });
        expect(result.facets).toEqual({ categories: [], brands: [], priceBands: [], stock: [] });
      });

      it('ranks products by cosine similarity, one row per product with its best image', async () => {
        const result = await search();
        expect(ids(result)).toEqual(['p1', 'p2', 'p3', 'p6', 'p5', 'p4']);
        expect(result.hits[0]).toMatchObject({ matchedImageId: 'side', matchedImageUrl: 'http://images.test/p1/side.jpg' });
        expect(result.hits[0].score).toBeCloseTo(1, 4);
        expect(result.hits[1].score).toBeCloseTo(0.9939, 3);
        expect(result.hits[0].product).toEqual(CATALOG[0].product);
      });

      it('reports which image matched', async () => {
        const back = await store.searchSimilar({ collection, vector: vector(0, 0, 0, 1), limit: 2 });
        expect(ids(back)).toEqual(['p1', 'p6']);
        expect(back.hits[0].matchedImageId).toBe('back');
        const front = await store.searchSimilar({ collection, vector: vector(0.8, 0.6, 0, 0), limit: 1 });
        expect(front.hits[0]).toMatchObject({ matchedImageId: 'front' });
        expect(front.hits[0].score).toBeCloseTo(1, 4);
      });

      it.each<[string, SearchFilter, string[]]>([
        ['one category', { categories: ['boots'] }, ['p1', 'p6']],
        ['several categories (any of)', { categories: ['boots', 'bags'] }, ['p1', 'p3', 'p6', 'p4']],
        ['an unknown category', { categories: ['nope'] }, []],
        ['one brand', { brands: ['zeta'] }, ['p2', 'p5']],
        ['several brands', { brands: ['acme', 'kilo'] }, ['p1', 'p3', 'p6']],
        ['a minimum price (inclusive)', { minPrice: 50 }, ['p1', 'p2', 'p3', 'p6']],
        ['a maximum price (inclusive)', { maxPrice: 35.5 }, ['p5', 'p4']],
        ['a price range', { minPrice: 40, maxPrice: 120 }, ['p1', 'p2', 'p3']],
        ['in stock', { inStock: true }, ['p1', 'p3', 'p6', 'p4']],
        ['out of stock', { inStock: false }, ['p2', 'p5']],
        ['category, stock and price together', { categories: ['shoes'], inStock: true, maxPrice: 100 }, ['p1']],
        ['categories, brand and price together', { categories: ['shoes', 'bags'], brands: ['acme'], minPrice: 60 }, ['p3']],
        ['empty lists (no filtering)', { categories: [], brands: [] }, ['p1', 'p2', 'p3', 'p6', 'p5', 'p4']],
      ])('filters by %s', async (_name, filter, expected) => {
        expect(ids(await search(filter))).toEqual(expected);
      });

      it('refuses a price range whose minimum exceeds its maximum', async () => {
        await expectKind(search({ minPrice: 100, maxPrice: 10 }), 'invalid-argument', /minPrice/);
      });

      it('drops products below the score threshold', async () => {
        expect(ids(await search(undefined, { scoreThreshold: 0.7 }))).toEqual(['p1', 'p2', 'p3']);
        expect(ids(await search(undefined, { scoreThreshold: 1.5 }))).toEqual([]);
      });

      it('counts categories, brands, price bands and stock over the matching products, not their images', async () => {
        const result = await search(undefined, { withFacets: true, limit: 1 });
        expect(result.total).toBe(6);
        expect(result.facets).toEqual({
          categories: [
            { value: 'shoes', count: 3 },
            { value: 'bags', count: 2 },
            { value: 'boots', count: 2 },
            { value: 'hats', count: 1 },
            { value: 'sneakers', count: 1 },
            { value: 'totes', count: 1 },
          ],
          brands: [
            { value: 'acme', count: 2 },
            { value: 'zeta', count: 2 },
            { value: 'kilo', count: 1 },
          ],
          priceBands: [
            { value: '0-25', count: 1 },
            { value: '25-50', count: 1 },
            { value: '50-100', count: 2 },
            { value: '100-200', count: 1 },
            { value: '200+', count: 1 },
          ],
          stock: [
            { value: 'in_stock', count: 4 },
            { value: 'out_of_stock', count: 2 },
          ],
        });
        const filtered = await search({ inStock: true }, { withFacets: true });
        expect(filtered.facets?.brands).toEqual([
          { value: 'acme', count: 2 },
          { value: 'kilo', count: 1 },
        ]);
        expect((await search()).facets).toBeUndefined();
      });

      it('counts facets and total over the products above the score threshold only', async () => {
        const result = await search(undefined, { withFacets: true, limit: 1, scoreThreshold: 0.7 });
        expect(result.total).toBe(3);
        expect(result.totalIsLowerBound ?? false).toBe(false);
        expect(result.facets?.brands).toEqual([
          { value: 'acme', count: 2 },
          { value: 'zeta', count: 1 },
        ]);
        expect(result.facets?.stock).toEqual([
          { value: 'in_stock', count: 2 },
          { value: 'out_of_stock', count: 1 },
        ]);
        const nothing = await search(undefined, { withFacets: true, scoreThreshold: 1.5 });
        expect(nothing).toMatchObject({ hits: [], total: 0, facets: { categories: [], brands: [], priceBands: [], stock: [] } });
      });

      it('counts facets again after a write (a delete, an attribute change)', async () => {
        const before = await search(undefined, { withFacets: true, limit: 1 });
        expect(before.facets?.brands).toContainEqual({ value: 'acme', count: 2 });
        expect(await store.deleteProduct(collection, 'p3', 99)).toBe('applied');
        const afterDelete = await search(undefined, { withFacets: true, limit: 1 });
        expect(afterDelete.facets?.brands).toContainEqual({ value: 'acme', count: 1 });
        expect(afterDelete.facets?.categories.find((facet) => facet.value === 'bags')?.count).toBe(1);
        expect(await store.updateAttributes(collection, [{ ...CATALOG[0].product, version: CATALOG[0].product.version + 1, brand: 'kilo' }])).toEqual([
          'applied',
        ]);
        const afterUpdate = await search(undefined, { withFacets: true, limit: 1 });
        expect(afterUpdate.facets?.brands.find((facet) => facet.value === 'acme')).toBeUndefined();
        expect(afterUpdate.facets?.brands).toContainEqual({ value: 'kilo', count: 2 });
      });

      it('pages with limit and offset over products', async () => {
        expect(ids(await search(undefined, { limit: 2 }))).toEqual(['p1', 'p2']);
        expect(ids(await search(undefined, { limit: 2, offset: 2 }))).toEqual(['p3', 'p6']);
        expect(ids(await search(undefined, { limit: 10, offset: 4 }))).toEqual(['p5', 'p4']);
        expect(ids(await search(undefined, { limit: 10, offset: 6 }))).toEqual([]);
        expect(ids(await search(undefined, { limit: 100, offset: 10_000 }))).toEqual([]);
        expect(ids(await search(undefined, { limit: 1, offset: 5 }))).toEqual(['p4']);
      });

      it.each<[string, number, number | undefined]>([
        ['limit 0', 0, 0],
        ['limit 101', 101, 0],
        ['limit 10,000', 10_000, 0],
        ['a fractional limit', 2.5, 0],
        ['a negative offset', 10, -1],
        ['an offset past 10,000', 10, 10_001],
        ['an offset wrapped from -1 by uint32', 10, 4_294_967_295],
      ])('refuses %s', async (_name, limit, offset) => {
        await expectKind(search(undefined, { limit, offset }), 'invalid-argument', /limit|offset/);
      });

      it('finds products similar to a stored one, leaving it out', async () => {
        const result = await store.similarToProduct({ collection, productId: 'p1', limit: 3 });
        expect(ids(result)).toEqual(['p2', 'p3', 'p6']);
        expect(result.hits[0].score).toBeCloseTo(0.9939, 3);
        const filtered = await store.similarToProduct({ collection, productId: 'p1', limit: 10, filter: { categories: ['boots'] } });
        expect(ids(filtered)).toEqual(['p6']);
        const paged = await store.similarToProduct({ collection, productId: 'p1', limit: 2, offset: 1 });
        expect(ids(paged)).toEqual(['p3', 'p6']);
        await expectKind(store.similarToProduct({ collection, productId: 'unknown', limit: 3 }), 'not-found');
      });

      it('returns a stored product with its images', async () => {
        expect(await store.getProduct(collection, 'p1')).toEqual({
          product: CATALOG[0].product,
          images: expect.arrayContaining([
            { imageId: 'front', imageUrl: 'http://images.test/p1/front.jpg' },
            { imageId: 'side', imageUrl: 'http://images.test/p1/side.jpg' },
            { imageId: 'back', imageUrl: 'http://images.test/p1/back.jpg' },
          ]),
          failedImages: [],
        });
        expect(await store.getProduct(collection, 'unknown')).toBeUndefined();
      });
    });

    describe('hybrid and keyword search', () => {
      /**
       * Words and vectors chosen apart: cosine against E0 is h1 1.0, h2 0.994, h5 0.707, h3 0 and
       * h4 0, so with a threshold of 0.5 the vector ranking sees h1, h2, h5 (in that order) and
       * never h3 or h4. Only h3 and h2 say "backpack"; only h2 says "canvas"; only h3 "leather".
       */
      const HYBRID_CATALOG: ProductWithImageVectors[] = [
        withImages(
          product('h1', {
            title: 'Trailblazer hiking boots',
            brand: 'acme',
            categories: ['shoes', 'boots'],
            price: { amount: 50, currency: 'EUR' },
            inStock: true,
            updatedAt: '2024-03-01T00:00:00.000Z',
          }),
          [['main', E0]],
        ),
        withImages(
          product('h2', {
            title: 'Canvas backpack',
            brand: 'zeta',
            categories: ['bags'],
            price: { amount: 80, currency: 'EUR' },
            inStock: false,
            updatedAt: '2024-05-01T00:00:00.000Z',
          }),
          [['main', [0.9, 0.1, 0, 0]]],
        ),
        withImages(
          product('h3', {
            title: 'Leather backpack',
            brand: 'acme',
            categories: ['bags'],
            price: { amount: 120, currency: 'EUR' },
            inStock: true,
            updatedAt: '2024-01-01T00:00:00.000Z',
          }),
          [['main', [0, 1, 0, 0]]],
        ),
        withImages(product('h4', { title: 'Wool beanie', brand: 'kilo', categories: ['hats'], price: { amount: 20, currency: 'EUR' }, inStock: true }), [
          ['main', [0, 0, 1, 0]],
        ]),
        withImages(
          product('h5', {
            title: 'Running sneakers',
            brand: 'zeta',
            categories: ['shoes', 'sneakers'],
            price: { amount: 250, currency: 'EUR' },
            inStock: true,
            updatedAt: '2024-04-01T00:00:00.000Z',
          }),
          [['main', [0.7, 0.7, 0, 0]]],
        ),
      ];
      const EMPTY_FACETS = { categories: [], brands: [], priceBands: [], stock: [] };
      const query = (extra: Partial<SearchQuery>) => store.searchSimilar({ collection, limit: 10, ...extra });
      const keyword = (text: string, extra: Partial<SearchQuery> = {}) => query({ text, mode: 'keyword', ...extra });
      const hybrid = (text: string, extra: Partial<SearchQuery> = {}) => query({ text, vector: vector(...E0), mode: 'hybrid', scoreThreshold: 0.5, ...extra });

      beforeEach(async () => {
        expect(await store.upsertProducts(collection, HYBRID_CATALOG)).toEqual(HYBRID_CATALOG.map(() => 'applied'));
      });

      it('finds only the products of a brand by its name in keyword mode, without a query vector', async () => {
        const result = await keyword('Zeta');
        expect(ids(result).sort()).toEqual(['h2', 'h5']);
        expect(result.total).toBe(2);
        for (const hit of result.hits) {
          expect(hit.keywordScore).toBeGreaterThan(0);
          expect(hit.score).toBe(hit.keywordScore);
          expect(hit.vectorScore).toBeUndefined();
        }
      });

      it("requires every query word in keyword mode: a brand and a product word find only that brand's products of that kind", async () => {
        // "acme": h1, h3; "backpack": h2, h3; both: h3 alone.
        const result = await keyword('Acme backpack', { withFacets: true });
        expect(ids(result)).toEqual(['h3']);
        expect(result.total).toBe(1);
        expect(result.facets?.brands).toEqual([{ value: 'acme', count: 1 }]);
        expect(ids(await keyword('backpack acme'))).toEqual(['h3']);
      });

      it('falls back to the products holding the most words when no product holds them all', async () => {
        // "leather", "backpack": h3; "zeppelin": nobody.
        const most = await keyword('leather backpack zeppelin');
        expect(ids(most)).toEqual(['h3']);
        expect(most.total).toBe(1);
        // One word each: h2 says "canvas", h3 "leather".
        expect(ids(await keyword('canvas leather')).sort()).toEqual(['h2', 'h3']);
        expect(await keyword('zeppelin blimp')).toMatchObject({ hits: [], total: 0 });
        // The fallback keeps to the filter: among zeta's products only h2 holds a word.
        expect(ids(await keyword('leather backpack zeppelin', { filter: { brands: ['zeta'] } }))).toEqual(['h2']);
      });

      it('fuses only the all-words keyword matches with the vector matches in hybrid mode', async () => {
        // Vector above 0.5: h1, h2, h5; all words of "acme backpack": h3 (h2 holds only "backpack", h1 only "acme").
        const result = await hybrid('acme backpack', { withFacets: true });
        expect(ids(result).sort()).toEqual(['h1', 'h2', 'h3', 'h5']);
        expect(result.hits.find((hit) => hit.product.productId === 'h3')?.keywordScore).toBeGreaterThan(0);
        expect(result.hits.find((hit) => hit.product.productId === 'h2')?.keywordScore).toBeUndefined();
        expect(result.hits.find((hit) => hit.product.productId === 'h1')?.keywordScore).toBeUndefined();
      });

      it('finds a product by a title word in hybrid mode although its vector is far below the threshold', async () => {
        const result = await hybrid('leather', { withFacets: true });
        expect(ids(result)).toContain('h3');
        expect(ids(result)).not.toContain('h4');
        expect(ids(result).sort()).toEqual(['h1', 'h2', 'h3', 'h5']);
        expect(result.total).toBe(4);
        expect(result.hits.find((hit) => hit.product.productId === 'h3')?.keywordScore).toBeGreaterThan(0);
      });

      it("fuses the rankings by reciprocal rank with the request's k, reporting both scores", async () => {
        // Vector ranks: h1 1, h2 2, h5 3; keyword ranks: h2 1.
        const result = await hybrid('canvas');
        expect(ids(result)).toEqual(['h2', 'h1', 'h5']);
        expect(result.hits[0].score).toBeCloseTo(1 / 62 + 1 / 61, 6);
        expect(result.hits[0].vectorScore).toBeCloseTo(0.9939, 3);
        expect(result.hits[0].keywordScore).toBeGreaterThan(0);
        expect(result.hits[1].score).toBeCloseTo(1 / 61, 6);
        expect(result.hits[1].vectorScore).toBeCloseTo(1, 4);
        expect(result.hits[1].keywordScore).toBeUndefined();
        const sharper = await hybrid('canvas', { fusion: { k: 10, vectorWeight: 1, keywordWeight: 1 } });
        expect(sharper.hits[0].score).toBeCloseTo(1 / 12 + 1 / 11, 6);
      });

      it('returns nothing, with empty facets and a total of 0, when no word matches and every vector score is below the threshold', async () => {
        const result = await query({ text: 'zzzqqq', vector: vector(0, 0, 0, 1), mode: 'hybrid', scoreThreshold: 0.5, withFacets: true });
        expect(result).toMatchObject({ hits: [], total: 0, facets: EMPTY_FACETS });
      });

      it('counts facets over the matched products only: keyword matches plus vector matches above the threshold', async () => {
        const matchedByWords = await keyword('backpack', { withFacets: true });
        expect(matchedByWords.facets).toEqual({
          categories: [{ value: 'bags', count: 2 }],
          brands: [
            { value: 'acme', count: 1 },
            { value: 'zeta', count: 1 },
          ],
          priceBands: [
            { value: '50-100', count: 1 },
            { value: '100-200', count: 1 },
          ],
          stock: [
            { value: 'in_stock', count: 1 },
            { value: 'out_of_stock', count: 1 },
          ],
        });
        // Vector above 0.9: h1, h2; words: h2, h3.
        const fused = await hybrid('backpack', { withFacets: true, scoreThreshold: 0.9, limit: 1 });
        expect(fused.hits).toHaveLength(1);
        expect(fused.total).toBe(3);
        expect(fused.totalIsLowerBound ?? false).toBe(false);
        expect(fused.facets?.categories).toEqual([
          { value: 'bags', count: 2 },
          { value: 'boots', count: 1 },
          { value: 'shoes', count: 1 },
        ]);
        expect(fused.facets?.brands).toEqual([
          { value: 'acme', count: 2 },
          { value: 'zeta', count: 1 },
        ]);
      });

      it.each<[SearchQuery['sort'], string[]]>([
        ['price_asc', ['h4', 'h1', 'h2', 'h3', 'h5']],
        ['price_desc', ['h5', 'h3', 'h2', 'h1', 'h4']],
        ['newest', ['h2', 'h5', 'h1', 'h3', 'h4']],
        ['relevance', ['h1', 'h2', 'h5', 'h3', 'h4']],
      ])('sorts the matched products by %s before paging', async (sort, expected) => {
        const all = await query({ vector: vector(...E0), mode: 'vector', sort });
        expect(ids(all).slice(0, 3)).toEqual(expected.slice(0, 3));
        if (sort !== 'relevance') expect(ids(all)).toEqual(expected);
        expect(ids(await query({ vector: vector(...E0), mode: 'vector', sort, limit: 2, offset: 1 }))).toEqual(expected.slice(1, 3));
      });

      it('sorts keyword matches by price and by date', async () => {
        expect(ids(await keyword('backpack', { sort: 'price_desc' }))).toEqual(['h3', 'h2']);
        expect(ids(await keyword('backpack', { sort: 'price_asc' }))).toEqual(['h2', 'h3']);
        expect(ids(await keyword('backpack', { sort: 'newest' }))).toEqual(['h2', 'h3']);
      });

      it('applies filters to the keyword ranking', async () => {
        expect(ids(await keyword('backpack', { filter: { inStock: true } }))).toEqual(['h3']);
        expect(ids(await keyword('backpack', { filter: { brands: ['zeta'] } }))).toEqual(['h2']);
        expect(ids(await keyword('backpack', { filter: { categories: ['hats'] } }))).toEqual([]);
        const filtered = await hybrid('leather', { filter: { maxPrice: 100 }, withFacets: true });
        expect(ids(filtered).sort()).toEqual(['h1', 'h2']);
        expect(filtered.total).toBe(2);
      });

      it.each<[string, string]>([
        ['stop words only', 'the and of'],
        ['punctuation only', '"-*:!?'],
        ['emoji', '👟🎒 ✨'],
        ['right-to-left text', 'حقيبة ظهر'],
        ['10 KB of text', 'backpack '.repeat(1200)],
        ['search-syntax characters as literal text', '"leather" -canvas *:backpack title:boots'],
      ])('answers a query of %s normally', async (_name, text) => {
        const keywordResult = await keyword(text, { withFacets: true });
        expect(Array.isArray(keywordResult.hits)).toBe(true);
        expect(keywordResult.total).toBe(keywordResult.hits.length);
        const hybridResult = await hybrid(text, { withFacets: true });
        expect(ids(hybridResult)).toEqual(expect.arrayContaining(['h1', 'h2', 'h5']));
      });

      it('finds nothing in keyword mode for a query without words', async () => {
        expect(await keyword('the and of', { withFacets: true })).toMatchObject({ hits: [], total: 0, facets: EMPTY_FACETS });
        expect(await keyword('👟🎒', { withFacets: true })).toMatchObject({ hits: [], total: 0, facets: EMPTY_FACETS });
      });

      it('reads quotes, minus signs, asterisks and colons as literal text', async () => {
        expect(ids(await keyword('"leather"'))).toEqual(['h3']);
        expect(ids(await keyword('-canvas'))).toEqual(['h2']);
      });

      it('ignores the text in vector mode: the threshold cuts as before', async () => {
        const result = await query({ text: 'leather', vector: vector(...E0), mode: 'vector', scoreThreshold: 0.5 });
        expect(ids(result)).toEqual(['h1', 'h2', 'h5']);
        expect(result.hits[0].score).toBeCloseTo(1, 4);
        expect(result.hits[0].vectorScore).toBeCloseTo(1, 4);
        expect(result.hits[0].keywordScore).toBeUndefined();
      });

      it('searches hybrid when the mode is unset and both text and vector are given, by vector when only a vector is', async () => {
        expect(ids(await query({ text: 'leather', vector: vector(...E0), scoreThreshold: 0.5 }))).toContain('h3');
        expect(ids(await query({ vector: vector(...E0), scoreThreshold: 0.5 }))).toEqual(['h1', 'h2', 'h5']);
      });

      it('refuses a keyword search without text and a hybrid or vector search without a vector', async () => {
        await expectKind(query({ mode: 'keyword' }), 'invalid-argument', /text/);
        await expectKind(query({ mode: 'hybrid', text: 'leather' }), 'invalid-argument', /vector/);
        await expectKind(query({ mode: 'vector', text: 'leather' }), 'invalid-argument', /vector/);
      });

      it('keeps the words in step with writes: attribute updates and deletes', async () => {
        expect(await store.updateAttributes(collection, [{ ...HYBRID_CATALOG[3].product, version: 2, title: 'Wool backpack' }])).toEqual(['applied']);
        expect(ids(await keyword('backpack')).sort()).toEqual(['h2', 'h3', 'h4']);
        expect(ids(await keyword('beanie'))).toEqual([]);
        expect(await store.deleteProduct(collection, 'h3', 5)).toBe('applied');
        expect(ids(await keyword('leather'))).toEqual([]);
        expect(ids(await keyword('backpack')).sort()).toEqual(['h2', 'h4']);
      });

      it('stores updatedAt with the product and reads it back; a product without one reads without it', async () => {
        expect((await store.getProduct(collection, 'h1'))?.product.updatedAt).toBe('2024-03-01T00:00:00.000Z');
        expect((await store.getProduct(collection, 'h4'))?.product.updatedAt).toBeUndefined();
        expect((await keyword('trailblazer')).hits[0].product.updatedAt).toBe('2024-03-01T00:00:00.000Z');
      });
    });

    describe('versioned writes', () => {
      const at = (version: number, overrides: Partial<ProductData> = {}, images: Array<[string, number[]]> = [['main', E0]]) =>
        withImages(product('v', { version, title: `v${version}`, ...overrides }), images);

      it('keeps a newer version when an older one arrives later', async () => {
        expect(await store.upsertProducts(collection, [at(5)])).toEqual(['applied']);
        expect(await store.upsertProducts(collection, [at(3, {}, [['old', [0, 1, 0, 0]]])])).toEqual(['stale']);
        const stored = await store.getProduct(collection, 'v');
        expect(stored?.product.title).toBe('v5');
        expect(stored?.images.map((image) => image.imageId)).toEqual(['main']);
        expect(await store.upsertProducts(collection, [at(7)])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'v'))?.product.version).toBe(7);
      });

      it('re-applies a redelivered write of the same version', async () => {
        expect(await store.upsertProducts(collection, [at(2)])).toEqual(['applied']);
        expect(await store.upsertProducts(collection, [at(2)])).toEqual(['applied']);
        expect((await search()).hits.filter((hit) => hit.product.productId === 'v')).toHaveLength(1);
      });

      it('reports one outcome per product in a mixed batch', async () => {
        await store.upsertProducts(collection, [at(4)]);
        const outcomes = await store.upsertProducts(collection, [at(3), CATALOG[1], withImages(product('w', { version: 1 }), [['main', E0]])]);
        expect(outcomes).toEqual(['stale', 'applied', 'applied']);
      });

      it('replaces the image set on a newer upsert', async () => {
        await store.upsertProducts(collection, [
          at(1, {}, [
            ['a', E0],
            ['b', [0, 1, 0, 0]],
          ]),
        ]);
        await store.upsertProducts(collection, [at(2, {}, [['c', [0, 0, 1, 0]]])]);
        expect((await store.getProduct(collection, 'v'))?.images).toEqual([{ imageId: 'c', imageUrl: 'http://images.test/v/c.jpg' }]);
        const result = await store.searchSimilar({ collection, vector: vector(0, 1, 0, 0), limit: 10 });
        expect(result.hits.find((hit) => hit.product.productId === 'v')?.matchedImageId).toBe('c');
        expect((await store.listCollections()).find((info) => info.name === collection)?.pointCount).toBe(1);
      });

      it('updates attributes without touching vectors, versioned', async () => {
        await store.upsertProducts(collection, [at(3, { price: { amount: 10, currency: 'EUR' } })]);
        const cheaper = product('v', { version: 4, title: 'v4', price: { amount: 5, currency: 'EUR' }, inStock: false, brand: 'newbrand' });
        expect(await store.updateAttributes(collection, [cheaper])).toEqual(['applied']);
        expect(await store.updateAttributes(collection, [product('v', { version: 2, title: 'v2' })])).toEqual(['stale']);
        expect(await store.updateAttributes(collection, [product('absent', { version: 9 })])).toEqual(['not_found']);
        const result = await search({ brands: ['newbrand'], inStock: false, maxPrice: 5 });
        expect(ids(result)).toEqual(['v']);
        expect(result.hits[0]).toMatchObject({ matchedImageId: 'main', product: cheaper });
        expect(result.hits[0].score).toBeCloseTo(1, 4);
      });

      it('deletes every point of a product unless a newer version is stored', async () => {
        await store.upsertProducts(collection, [
          at(5, {}, [
            ['a', E0],
            ['b', [0, 1, 0, 0]],
          ]),
        ]);
        expect(await store.deleteProduct(collection, 'v', 4)).toBe('stale');
        expect(await store.getProduct(collection, 'v')).toBeDefined();
        expect(await store.deleteProduct(collection, 'v', 6)).toBe('applied');
        expect(await store.getProduct(collection, 'v')).toBeUndefined();
        expect(ids(await search())).not.toContain('v');
        expect(await store.updateAttributes(collection, [product('v', { version: 7 })])).toEqual(['not_found']);
        const info = (await store.listCollections()).find((candidate) => candidate.name === collection);
        expect(info).toMatchObject({ productCount: 0, pointCount: 0 });
      });

      it('keeps a deleted product deleted when an older upsert arrives late', async () => {
        await store.upsertProducts(collection, [at(1)]);
        expect(await store.deleteProduct(collection, 'v', 3)).toBe('applied');
        expect(await store.upsertProducts(collection, [at(2)])).toEqual(['stale']);
        expect(await store.upsertProducts(collection, [at(3)])).toEqual(['stale']);
        expect(await store.getProduct(collection, 'v')).toBeUndefined();
        expect(await store.upsertProducts(collection, [at(4)])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'v'))?.product.version).toBe(4);
      });

      it('remembers a delete that arrives before the product ever did', async () => {
        expect(await store.deleteProduct(collection, 'v', 8)).toBe('applied');
        expect(await store.upsertProducts(collection, [at(7)])).toEqual(['stale']);
        expect(ids(await search())).not.toContain('v');
        expect(await store.deleteProduct(collection, 'v', 8)).toBe('applied');
      });

      it('ends at the newest version whatever order concurrent writes to one product arrive in', async () => {
        const versions = [3, 9, 1, 7, 5, 8, 2];
        await Promise.all(versions.map((version) => store.upsertProducts(collection, [at(version)])));
        expect((await store.getProduct(collection, 'v'))?.product.version).toBe(9);
      });
    });

    describe('zero-shot tags', () => {
      const tag = (attribute: string, label: string, taxonomyVersion = 1): ProductTag => ({ attribute, label, confidence: 0.9, taxonomyVersion });
      const tagged = (productId: string, axis: number, tags: ProductTag[] | undefined, tagsVersion = 1): ProductWithImageVectors => ({
        ...withImages(product(productId, { title: `item ${productId}` }), [['main', [0, 1, 2, 3].map((i) => (i === axis ? 1 : 0.01))]]),
        ...(tags ? { tags, tagsVersion } : {}),
      });
      const TAGGED = [
        tagged('t1', 0, [tag('pattern', 'striped'), tag('colour', 'red')]),
        tagged('t2', 1, [tag('pattern', 'striped'), tag('colour', 'blue')]),
        tagged('t3', 2, [tag('pattern', 'plain'), tag('colour', 'red')]),
        tagged('t4', 3, undefined),
      ];
      const everything = vector(1, 1, 1, 1);
      const matching = async (tags: Record<string, string[]>) =>
        ids(await store.searchSimilar({ collection, vector: everything, mode: 'vector', filter: { tags }, limit: 10 })).sort();
      const byWords = async (text: string, mode: 'keyword' | 'hybrid' = 'keyword') =>
        ids(
          await store.searchSimilar({ collection, text, ...(mode === 'hybrid' ? { vector: everything, scoreThreshold: 0.99 } : {}), mode, limit: 10 }),
        ).sort();
      const taggingInput = (labels: string[]): TaggingInput => ({
        taxonomy: { attributes: [{ name: 'pattern', mode: 'single', threshold: 0.5, labels: labels.map((label) => ({ label })) }] },
        modelId: MODEL,
        logitScale: 100,
        labelVectors: labels.map((label, i) => ({ attribute: 'pattern', label, vector: vector(...[0, 1, 2, 3].map((axis) => (axis === i ? 1 : 0))) })),
      });

      beforeEach(async () => {
        expect(await store.upsertProducts(collection, TAGGED)).toEqual(TAGGED.map(() => 'applied'));
      });

      it('stores tags with the product and returns them with it and on its hits', async () => {
        expect((await store.getProduct(collection, 't1'))?.tags).toEqual([tag('pattern', 'striped'), tag('colour', 'red')]);
        expect((await store.getProduct(collection, 't4'))?.tags ?? []).toEqual([]);
        const page = await store.searchSimilar({ collection, vector: vector(...E0), mode: 'vector', limit: 1 });
        expect(page.hits[0]).toMatchObject({ product: { productId: 't1' }, tags: [tag('pattern', 'striped'), tag('colour', 'red')] });
      });

      it('filters by tags: labels of one attribute OR-ed, attributes AND-ed, in every ranking', async () => {
        expect(await matching({ pattern: ['striped'] })).toEqual(['t1', 't2']);
        expect(await matching({ colour: ['red', 'blue'] })).toEqual(['t1', 't2', 't3']);
        expect(await matching({ pattern: ['striped'], colour: ['red'] })).toEqual(['t1']);
        expect(await matching({ pattern: ['dotted'] })).toEqual([]);
        const keyword = await store.searchSimilar({ collection, text: 'item', mode: 'keyword', filter: { tags: { colour: ['red'] } }, limit: 10 });
        expect(ids(keyword).sort()).toEqual(['t1', 't3']);
      });

      it('counts tag facets over what matched, per attribute, most frequent first', async () => {
        const page = await store.searchSimilar({
          collection,
          vector: everything,
          mode: 'vector',
          filter: { tags: { colour: ['red'] } },
          limit: 10,
          withFacets: true,
        });
        expect(page.facets?.tags).toEqual({
          colour: [{ value: 'red', count: 2 }],
          pattern: [
            { value: 'plain', count: 1 },
            { value: 'striped', count: 1 },
          ],
        });
        const untagged = await store.searchSimilar({
          collection,
          vector: vector(0, 0, 0, 1),
          mode: 'vector',
          scoreThreshold: 0.9,
          limit: 10,
          withFacets: true,
        });
        expect(ids(untagged)).toEqual(['t4']);
        expect(untagged.facets?.tags ?? {}).toEqual({});
      });

      it('finds products by their tag labels in keyword and hybrid search', async () => {
        expect(await byWords('striped')).toEqual(['t1', 't2']);
        expect(await byWords('striped red')).toEqual(['t1']);
        expect(await byWords('striped', 'hybrid')).toEqual(['t1', 't2']);
      });

      it('sets tags in bulk without touching vectors or data, never over a newer taxonomy version', async () => {
        const before = await store.getProductVectors(collection, 't4');
        expect(
          await store.setProductTags(
            collection,
            [
              { productId: 't4', tags: [tag('pattern', 'dotted', 2)] },
              { productId: 't1', tags: [] },
              { productId: 'missing', tags: [tag('pattern', 'dotted', 2)] },
            ],
            2,
          ),
        ).toBe(2);
        expect(await matching({ pattern: ['dotted'] })).toEqual(['t4']);
        expect(await matching({ pattern: ['striped'] })).toEqual(['t2']);
        // the words follow the tags: the new label is found, the dropped one no longer is
        expect(await byWords('dotted')).toEqual(['t4']);
        expect(await byWords('striped')).toEqual(['t2']);
        expect(await store.getProduct(collection, 't4')).toMatchObject({ product: { title: 'item t4' }, tags: [tag('pattern', 'dotted', 2)] });
        expect(await store.getProductVectors(collection, 't4')).toEqual(before);
        // an older taxonomy version is skipped; the same one re-applies (a re-tag run again)
        expect(await store.setProductTags(collection, [{ productId: 't4', tags: [tag('pattern', 'plain', 1)] }], 1)).toBe(0);
        expect((await store.getProduct(collection, 't4'))?.tags).toEqual([tag('pattern', 'dotted', 2)]);
        expect(await byWords('plain')).toEqual(['t3']);
        expect(await store.setProductTags(collection, [{ productId: 't4', tags: [tag('pattern', 'plain', 2)] }], 2)).toBe(1);
        expect(await byWords('plain')).toEqual(['t3', 't4']);
        await expectKind(store.setProductTags(collection, [{ productId: 't4', tags: [] }], 0), 'invalid-argument', /taxonomy version/);
      });

      it('moves a re-tagged product out of the filters of the labels it lost, and keeps it in those of the labels it kept', async () => {
        expect(await store.setProductTags(collection, [{ productId: 't1', tags: [tag('pattern', 'striped', 2), tag('colour', 'blue', 2)] }], 2)).toBe(1);
        expect(await matching({ pattern: ['striped'] })).toEqual(['t1', 't2']);
        expect(await matching({ colour: ['red'] })).toEqual(['t3']);
        expect(await matching({ colour: ['blue'] })).toEqual(['t1', 't2']);
        expect(await matching({ pattern: ['striped'], colour: ['blue'] })).toEqual(['t1', 't2']);
        // the last product with a label leaves its filter: nothing matches it any more
        expect(await store.setProductTags(collection, [{ productId: 't3', tags: [tag('pattern', 'plain', 2), tag('colour', 'green', 2)] }], 2)).toBe(1);
        expect(await matching({ colour: ['red'] })).toEqual([]);
        expect(await matching({ colour: ['green'] })).toEqual(['t3']);
      });

      it('keeps tags and their words through an attribute update, drops them with a delete, replaces them on an upsert', async () => {
        expect(await store.updateAttributes(collection, [product('t1', { version: 2, title: 'renamed shirt' })])).toEqual(['applied']);
        expect((await store.getProduct(collection, 't1'))?.tags).toEqual([tag('pattern', 'striped'), tag('colour', 'red')]);
        expect(await byWords('striped shirt')).toEqual(['t1']);
        expect(
          await store.upsertProducts(collection, [{ ...tagged('t2', 1, [tag('colour', 'green', 3)], 3), product: product('t2', { version: 2 }) }]),
        ).toEqual(['applied']);
        expect((await store.getProduct(collection, 't2'))?.tags).toEqual([tag('colour', 'green', 3)]);
        expect(await matching({ pattern: ['striped'] })).toEqual(['t1']);
        expect(await store.deleteProduct(collection, 't1', 3)).toBe('applied');
        expect(await matching({ pattern: ['striped'] })).toEqual([]);
        expect(await store.setProductTags(collection, [{ productId: 't1', tags: [tag('pattern', 'striped', 4)] }], 4)).toBe(0);
        expect(await store.getProductVectors(collection, 't1')).toBeUndefined();
      });

      it('pages through live products with a cursor, with their unit image vectors when asked', async () => {
        await store.deleteProduct(collection, 't3', 2);
        const seen: ScannedProduct[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.scanProducts(collection, { cursor, limit: 2, withVectors: true });
          seen.push(...page.products);
          cursor = page.cursor;
          pages++;
        } while (cursor !== undefined && pages < 10);
        expect(seen.map((entry) => entry.productId).sort()).toEqual(['t1', 't2', 't4']);
        const t1 = seen.find((entry) => entry.productId === 't1');
        expect(t1).toMatchObject({
          title: 'item t1',
          imageUrl: 'http://images.test/t1/main.jpg',
          tags: [tag('pattern', 'striped'), tag('colour', 'red')],
          tagsVersion: 1,
        });
        expect(t1?.vectors).toHaveLength(1);
        expect(Math.hypot(...(t1?.vectors[0] ?? []))).toBeCloseTo(1, 5);
        expect(seen.find((entry) => entry.productId === 't4')).toMatchObject({ tags: [], tagsVersion: 0 });
        const bare = await store.scanProducts(collection, { limit: 10, withVectors: false });
        expect(bare.products.every((entry) => entry.vectors.length === 0)).toBe(true);
        await expectKind(store.scanProducts(collection, { cursor: 'not-a-cursor', limit: 2, withVectors: false }), 'invalid-argument', /cursor/);
      });

      it('stores the active tagging as the next taxonomy version, seen by every instance of a shared backend', async () => {
        const before = (await store.readTagging())?.taxonomy.version ?? 0;
        const first = await store.saveTagging(taggingInput(['striped', 'plain']));
        expect(first.taxonomy).toMatchObject({ version: before + 1, attributes: [{ name: 'pattern' }] });
        const second = await store.saveTagging(taggingInput(['striped', 'plain', 'dotted']));
        expect(second.taxonomy.version).toBe(before + 2);
        const other = options.sharedBackend ? await options.createStore() : store;
        if (other !== store) await other.open();
        try {
          const read = await other.readTagging();
          expect(read).toMatchObject({ modelId: MODEL, logitScale: 100, taxonomy: { version: before + 2, createdAt: second.taxonomy.createdAt } });
          expect(read?.labelVectors).toEqual(second.labelVectors);
          expect(read?.taxonomy.attributes[0].labels.map((label) => label.label)).toEqual(['striped', 'plain', 'dotted']);
        } finally {
          if (other !== store) await other.close();
        }
      });
    });

    describe('re-tag lease and progress', () => {
      const LEASE_MS = 30_000;
      const later = (time: Date, ms: number) => new Date(time.getTime() + ms);
      /** A taxonomy version above any record left by earlier tests (a shared backend keeps one), and a clock past its lease. */
      const freshStart = async () => {
        const existing = await store.readRetagProgress();
        const now = new Date(Math.max(Date.now(), Date.parse(existing?.leaseExpiresAt ?? '1970-01-01T00:00:00Z')) + 1000);
        return { version: (existing?.taxonomyVersion ?? 0) + 1, now };
      };
      const progressed = (progress: RetagProgress, now: Date, changes: Partial<RetagProgress>): RetagProgress => ({
        ...progress,
        ...changes,
        leaseExpiresAt: later(now, LEASE_MS).toISOString(),
        updatedAt: now.toISOString(),
      });

      it('claims a free lease, starting from the beginning, and lets only the holder write progress, read back as written', async () => {
        const { version, now } = await freshStart();
        const claim = await store.claimRetag({ owner: 'replica-a', taxonomyVersion: version, leaseMs: LEASE_MS, now });
        expect(claim).toEqual({
          claimed: true,
          progress: expect.objectContaining({
            taxonomyVersion: version,
            state: 'tagging',
            productsTagged: 0,
            owner: 'replica-a',
            leaseExpiresAt: later(now, LEASE_MS).toISOString(),
          }),
        });
        if (!claim.claimed) return;
        expect(claim.progress.cursor).toBeUndefined();
        const step = progressed(claim.progress, later(now, 1000), { collection, productsTagged: 2, productsTotal: 4, cursor: 'page-2' });
        expect(await store.saveRetagProgress(step)).toBe(true);
        expect(await store.readRetagProgress()).toEqual(step);
        expect(await store.saveRetagProgress({ ...step, owner: 'replica-b', productsTagged: 4 })).toBe(false);
        expect(await store.readRetagProgress()).toEqual(step);
      });

      it('refuses a claim while the lease is held and unexpired, naming the holder, and hands it over after expiry to continue from the cursor', async () => {
        const { version, now } = await freshStart();
        const first = await store.claimRetag({ owner: 'replica-a', taxonomyVersion: version, leaseMs: LEASE_MS, now });
        if (!first.claimed) throw new Error('the first claim of a free lease was refused');
        const step = progressed(first.progress, now, { collection, productsTagged: 1000, productsTotal: 3000, cursor: 'after-1000' });
        expect(await store.saveRetagProgress(step)).toBe(true);

        const refused = await store.claimRetag({ owner: 'replica-b', taxonomyVersion: version, leaseMs: LEASE_MS, now: later(now, LEASE_MS - 1) });
        expect(refused).toEqual({ claimed: false, holder: expect.objectContaining({ owner: 'replica-a', productsTagged: 1000 }) });

        const takeover = await store.claimRetag({ owner: 'replica-b', taxonomyVersion: version, leaseMs: LEASE_MS, now: later(now, LEASE_MS + 1) });
        expect(takeover).toEqual({
          claimed: true,
          progress: expect.objectContaining({
            owner: 'replica-b',
            state: 'tagging',
            productsTagged: 1000,
            productsTotal: 3000,
            cursor: 'after-1000',
            collection,
          }),
        });
        // the old holder's next write finds its lease lost
        expect(await store.saveRetagProgress({ ...step, productsTagged: 2000 })).toBe(false);
        expect(await store.readRetagProgress()).toMatchObject({ owner: 'replica-b', productsTagged: 1000 });
      });

      it('lets the holder renew its own lease, and a newer taxonomy version claim once the older run is done, never an older version after it', async () => {
        const { version, now } = await freshStart();
        const first = await store.claimRetag({ owner: 'replica-a', taxonomyVersion: version, leaseMs: LEASE_MS, now });
        if (!first.claimed) throw new Error('the first claim of a free lease was refused');
        expect(await store.claimRetag({ owner: 'replica-a', taxonomyVersion: version, leaseMs: LEASE_MS, now: later(now, 10) })).toMatchObject({
          claimed: true,
        });

        // a newer version waits for the live lease of the older one (its holder picks the newer one up when done)
        expect(await store.claimRetag({ owner: 'replica-b', taxonomyVersion: version + 1, leaseMs: LEASE_MS, now: later(now, 20) })).toMatchObject({
          claimed: false,
          holder: { owner: 'replica-a', taxonomyVersion: version },
        });
        const done = progressed(first.progress, later(now, 30), { collection, state: 'done', productsTagged: 5, productsTotal: 5 });
        expect(await store.saveRetagProgress(done)).toBe(true);

        const newer = await store.claimRetag({ owner: 'replica-b', taxonomyVersion: version + 1, leaseMs: LEASE_MS, now: later(now, 40) });
        expect(newer).toEqual({
          claimed: true,
          progress: expect.objectContaining({ taxonomyVersion: version + 1, owner: 'replica-b', state: 'tagging', productsTagged: 0 }),
        });
        if (newer.claimed) expect(newer.progress.cursor).toBeUndefined();
        const expired = later(now, 10 * LEASE_MS);
        expect(await store.claimRetag({ owner: 'replica-a', taxonomyVersion: version, leaseMs: LEASE_MS, now: expired })).toMatchObject({
          claimed: false,
          holder: { taxonomyVersion: version + 1 },
        });
      });

      it('lets exactly one of two concurrent claims of a free lease win', async () => {
        const { version, now } = await freshStart();
        const other = options.sharedBackend ? await options.createStore() : store;
        if (other !== store) await other.open();
        try {
          const claims = await Promise.all([
            store.claimRetag({ owner: 'replica-a', taxonomyVersion: version, leaseMs: LEASE_MS, now }),
            other.claimRetag({ owner: 'replica-b', taxonomyVersion: version, leaseMs: LEASE_MS, now }),
          ]);
          const winners = claims.filter((claim) => claim.claimed);
          expect(winners).toHaveLength(1);
          const winner = winners[0].claimed ? winners[0].progress.owner : '';
          expect(await other.readRetagProgress()).toMatchObject({ owner: winner, taxonomyVersion: version });
        } finally {
          if (other !== store) await other.close();
        }
      });
    });

    describe('image content', () => {
      const content = (sha: string, validators: Partial<ImageContent> = {}): ImageContent => ({ sha256: sha.repeat(64).slice(0, 64), ...validators });
      const at = (version: number, contents: (ImageContent | undefined)[]) => {
        const write = withImages(product('c', { version, title: `c${version}` }), [
          ['main', E0],
          ['side', [0, 1, 0, 0]],
        ]);
        return { ...write, images: write.images.map((image, i) => (contents[i] ? { ...image, content: contents[i] } : image)) };
      };

      it('keeps the bytes each image was embedded from (hash, the host validators it gave) and returns them with the product', async () => {
        const main = content('a', { etag: '"v1"', lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' });
        const side = content('b');
        expect(await store.upsertProducts(collection, [at(1, [main, side])])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'c'))?.images).toEqual([
          { imageId: 'main', imageUrl: 'http://images.test/c/main.jpg', content: main },
          { imageId: 'side', imageUrl: 'http://images.test/c/side.jpg', content: side },
        ]);
        await store.updateAttributes(collection, [product('c', { version: 2, title: 'renamed' })]);
        expect((await store.getProduct(collection, 'c'))?.images.map((image) => image.content)).toEqual([main, side]);
      });

      it('replaces the content with a newer upsert, and an image written without one reads back without one', async () => {
        await store.upsertProducts(collection, [at(1, [content('a', { etag: '"v1"' }), content('b')])]);
        expect(await store.upsertProducts(collection, [at(2, [content('c', { etag: '"v2"' }), undefined])])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'c'))?.images).toEqual([
          { imageId: 'main', imageUrl: 'http://images.test/c/main.jpg', content: content('c', { etag: '"v2"' }) },
          { imageId: 'side', imageUrl: 'http://images.test/c/side.jpg' },
        ]);
      });
    });

    describe('image descriptions (alt text)', () => {
      const described = (version: number, descriptions: Record<string, string | undefined>): ProductWithImageVectors => {
        const entry = withImages(product('d', { version, title: 'plain item' }), [
          ['main', E0],
          ['side', [0, 1, 0, 0]],
        ]);
        return { ...entry, images: entry.images.map((image) => ({ ...image, description: descriptions[image.imageId] })) };
      };

      it("stores each image's description, returns it with the product and with the matched image of a hit", async () => {
        await store.upsertProducts(collection, [described(1, { main: 'a red striped t-shirt on a white background', side: undefined })]);
        expect((await store.getProduct(collection, 'd'))?.images).toEqual([
          { imageId: 'main', imageUrl: 'http://images.test/d/main.jpg', description: 'a red striped t-shirt on a white background' },
          { imageId: 'side', imageUrl: 'http://images.test/d/side.jpg' },
        ]);
        const byMain = await store.searchSimilar({ collection, vector: vector(...E0), limit: 1 });
        expect(byMain.hits[0]).toMatchObject({ matchedImageId: 'main', matchedImageDescription: 'a red striped t-shirt on a white background' });
        const bySide = await store.searchSimilar({ collection, vector: vector(0, 1, 0, 0), limit: 1 });
        expect(bySide.hits[0].matchedImageId).toBe('side');
        expect(bySide.hits[0]).not.toHaveProperty('matchedImageDescription');
      });

      it("finds a product by the words of its images' descriptions in keyword mode, and forgets them when a newer version drops them", async () => {
        await store.upsertProducts(collection, [described(1, { main: 'a red striped t-shirt', side: 'the back of a polka dot shirt' })]);
        expect(ids(await store.searchSimilar({ collection, text: 'striped', mode: 'keyword', limit: 10 }))).toEqual(['d']);
        expect(ids(await store.searchSimilar({ collection, text: 'polka', mode: 'keyword', limit: 10 }))).toEqual(['d']);
        await store.upsertProducts(collection, [described(2, { main: 'a red plain t-shirt' })]);
        expect(ids(await store.searchSimilar({ collection, text: 'striped', mode: 'keyword', limit: 10 }))).toEqual([]);
        expect(ids(await store.searchSimilar({ collection, text: 'polka', mode: 'keyword', limit: 10 }))).toEqual([]);
        expect(ids(await store.searchSimilar({ collection, text: 'red', mode: 'keyword', limit: 10 }))).toEqual(['d']);
      });

      it('keeps the descriptions and their words through an attribute update', async () => {
        await store.upsertProducts(collection, [described(1, { main: 'a red striped t-shirt' })]);
        expect(await store.updateAttributes(collection, [product('d', { version: 2, title: 'renamed item' })])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'd'))?.images[0]).toMatchObject({ imageId: 'main', description: 'a red striped t-shirt' });
        expect(ids(await store.searchSimilar({ collection, text: 'striped', mode: 'keyword', limit: 10 }))).toEqual(['d']);
      });
    });

    describe('failed images', () => {
      const failure = (imageId: string, errorCode = 'http_status', reason = 'answered 404'): FailedImage => ({
        imageId,
        imageUrl: `http://images.test/f/${imageId}.jpg`,
        stage: 'fetch',
        errorCode,
        reason,
      });
      const at = (version: number, failedImages?: FailedImage[]) => ({
        ...withImages(product('f', { version, title: `f${version}` }), [['main', E0]]),
        failedImages,
      });

      it('stores a product with the images that worked and returns the failures with it', async () => {
        expect(await store.upsertProducts(collection, [at(1, [failure('gone'), failure('broken', 'decode_failed', 'not an image')])])).toEqual(['applied']);
        const stored = await store.getProduct(collection, 'f');
        expect(stored?.images).toEqual([{ imageId: 'main', imageUrl: 'http://images.test/f/main.jpg' }]);
        expect(stored?.failedImages).toEqual([failure('gone'), failure('broken', 'decode_failed', 'not an image')]);
        const result = await store.searchSimilar({ collection, vector: vector(...E0), limit: 1 });
        expect(result.hits[0]).toMatchObject({ matchedImageId: 'main', product: { productId: 'f' } });
        expect((await store.listCollections()).find((info) => info.name === collection)?.pointCount).toBe(1);
      });

      it('replaces the failures on a newer upsert, clears them when it has none, and keeps them on a stale one', async () => {
        await store.upsertProducts(collection, [at(1, [failure('gone')])]);
        expect(await store.upsertProducts(collection, [at(2, [failure('other', 'timeout', 'slow')])])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'f'))?.failedImages).toEqual([failure('other', 'timeout', 'slow')]);
        expect(await store.upsertProducts(collection, [at(1, [])])).toEqual(['stale']);
        expect((await store.getProduct(collection, 'f'))?.failedImages).toEqual([failure('other', 'timeout', 'slow')]);
        expect(await store.upsertProducts(collection, [at(2)])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'f'))?.failedImages).toEqual([]);
      });

      it('keeps the failures through an attribute update and drops them with a delete', async () => {
        await store.upsertProducts(collection, [at(1, [failure('gone')])]);
        expect(await store.updateAttributes(collection, [product('f', { version: 2, title: 'renamed' })])).toEqual(['applied']);
        expect(await store.getProduct(collection, 'f')).toMatchObject({ product: { title: 'renamed' }, failedImages: [failure('gone')] });
        expect(await store.deleteProduct(collection, 'f', 3)).toBe('applied');
        expect(await store.getProduct(collection, 'f')).toBeUndefined();
        expect(await store.upsertProducts(collection, [{ ...withImages(product('f', { version: 4 }), [['main', E0]]) }])).toEqual(['applied']);
        expect((await store.getProduct(collection, 'f'))?.failedImages).toEqual([]);
      });

      it('refuses a failed image without an id, listed twice, or also indexed', async () => {
        await expectKind(store.upsertProducts(collection, [at(1, [failure('')])]), 'invalid-argument', /without an id/);
        await expectKind(store.upsertProducts(collection, [at(1, [failure('x'), failure('x')])]), 'invalid-argument', /twice/);
        await expectKind(store.upsertProducts(collection, [at(1, [failure('main')])]), 'invalid-argument', /both as indexed and as failed/);
        expect(await store.getProduct(collection, 'f')).toBeUndefined();
      });
    });
  });
}
