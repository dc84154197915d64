/**
 * Zero-shot tags in the embedded store.
 * real: the embedded store on disk (temp directory): write-ahead log, snapshot, restart.
 * mock: nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProductTag, ProductWithImageVectors, TaggingInput } from '../types';
import { EmbeddedVectorStore } from './embedded.vector-store';

const DIMENSION = 4;
let dir: string;
let store: EmbeddedVectorStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-store-tags-'));
  store = await openStore();
  await store.swapAlias('products', await store.createGeneration('clip-mini@1', DIMENSION));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function openStore(): Promise<EmbeddedVectorStore> {
  const opened = new EmbeddedVectorStore({ dir, durable: false });
  await opened.open();
  return opened;
}

function tag(attribute: string, label: string, taxonomyVersion = 1): ProductTag {
  return { attribute, label, confidence: 0.9, taxonomyVersion };
}

function product(id: string, axis: number, tags: ProductTag[] | undefined, title = `product ${id}`): ProductWithImageVectors {
  const vector = new Float32Array(DIMENSION);
  vector[axis] = 1;
  return {
    product: {
      productId: id,
      version: 1,
      title,
      description: '',
      brand: '',
      categories: ['apparel'],
      price: { amount: 10, currency: 'EUR' },
      inStock: true,
      attributes: {},
    },
    images: [{ imageId: 'front', imageUrl: `http://img/${id}.jpg`, vector }],
    ...(tags ? { tags, tagsVersion: 1 } : {}),
  };
}

const catalog = [
  product('striped-red', 0, [tag('pattern', 'striped'), tag('colour', 'red')]),
  product('striped-blue', 1, [tag('pattern', 'striped'), tag('colour', 'blue')]),
  product('plain-red', 2, [tag('pattern', 'plain'), tag('colour', 'red')]),
  product('untagged', 3, undefined),
];

async function ids(filter: Record<string, string[]>): Promise<string[]> {
  const page = await store.searchSimilar({ vector: new Float32Array([1, 1, 1, 1]), mode: 'vector', filter: { tags: filter }, limit: 10 });
  return page.hits.map((hit) => hit.product.productId).sort();
}

describe('EmbeddedVectorStore zero-shot tags', () => {
  it('stores tags with the product and returns them on GetProduct and on hits', async () => {
    await store.upsertProducts(undefined, catalog);
    expect((await store.getProduct(undefined, 'striped-red'))?.tags).toEqual([tag('pattern', 'striped'), tag('colour', 'red')]);
    expect((await store.getProduct(undefined, 'untagged'))?.tags).toBeUndefined();
    const page = await store.searchSimilar({ vector: new Float32Array([1, 0, 0, 0]), mode: 'vector', limit: 1 });
    expect(page.hits[0].tags).toEqual([tag('pattern', 'striped'), tag('colour', 'red')]);
  });

  it('filters by tags: labels of one attribute OR-ed, attributes AND-ed', async () => {
    await store.upsertProducts(undefined, catalog);
    expect(await ids({ pattern: ['striped'] })).toEqual(['striped-blue', 'striped-red']);
    expect(await ids({ colour: ['red', 'blue'] })).toEqual(['plain-red', 'striped-blue', 'striped-red']);
    expect(await ids({ pattern: ['striped'], colour: ['red'] })).toEqual(['striped-red']);
    expect(await ids({ pattern: ['dotted'] })).toEqual([]);
  });

  it('counts tag facets over what matched', async () => {
    await store.upsertProducts(undefined, catalog);
    const page = await store.searchSimilar({
      vector: new Float32Array([1, 1, 1, 1]),
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
  });

  it('finds products by their tag labels in keyword search', async () => {
    await store.upsertProducts(undefined, catalog);
    const page = await store.searchSimilar({ text: 'striped', mode: 'keyword', limit: 10 });
    expect(page.hits.map((hit) => hit.product.productId).sort()).toEqual(['striped-blue', 'striped-red']);
  });

  it('sets tags in bulk without touching vectors or data, never over a newer taxonomy version', async () => {
    await store.upsertProducts(undefined, catalog);
    expect(
      await store.setProductTags(
        undefined,
        [
          { productId: 'untagged', tags: [tag('pattern', 'dotted', 2)] },
          { productId: 'missing', tags: [] },
        ],
        2,
      ),
    ).toBe(1);
    expect(await ids({ pattern: ['dotted'] })).toEqual(['untagged']);
    expect((await store.searchSimilar({ text: 'dotted', mode: 'keyword', limit: 10 })).hits.map((hit) => hit.product.productId)).toEqual(['untagged']);
    expect(await store.setProductTags(undefined, [{ productId: 'untagged', tags: [] }], 1)).toBe(0);
    expect((await store.getProduct(undefined, 'untagged'))?.tags).toEqual([tag('pattern', 'dotted', 2)]);
    // attribute updates keep the tags
    await store.updateAttributes(undefined, [{ ...catalog[3].product, title: 'renamed' }]);
    expect((await store.getProduct(undefined, 'untagged'))?.tags).toEqual([tag('pattern', 'dotted', 2)]);
    const scanned = await store.scanProducts(undefined, { limit: 10, withVectors: true });
    expect(scanned.products.find((entry) => entry.productId === 'untagged')?.vectors).toEqual([new Float32Array([0, 0, 0, 1])]);
  });

  it('keeps tags and the active tagging across a restart, from the log and from a snapshot', async () => {
    await store.upsertProducts(undefined, catalog);
    await store.setProductTags(undefined, [{ productId: 'untagged', tags: [tag('pattern', 'dotted', 2)] }], 2);
    const input: TaggingInput = {
      taxonomy: { attributes: [{ name: 'pattern', mode: 'single', threshold: 0.5, labels: [{ label: 'striped' }, { label: 'plain' }] }] },
      modelId: 'clip-mini@1',
      logitScale: 50,
      labelVectors: [
        { attribute: 'pattern', label: 'striped', vector: new Float32Array([1, 0, 0, 0]) },
        { attribute: 'pattern', label: 'plain', vector: new Float32Array([0, 0, 1, 0]) },
      ],
    };
    expect((await store.saveTagging(input)).taxonomy.version).toBe(1);
    expect((await store.saveTagging(input)).taxonomy.version).toBe(2);
    // a second reader before close() replays the write-ahead log (close() then writes a snapshot)
    const fromLog = await openStore();
    expect((await fromLog.getProduct(undefined, 'untagged'))?.tags).toEqual([tag('pattern', 'dotted', 2)]);
    expect((await fromLog.getProduct(undefined, 'striped-red'))?.tags).toEqual([tag('pattern', 'striped'), tag('colour', 'red')]);
    await store.close();
    store = fromLog;
    await store.close();
    store = await openStore();
    expect((await store.getProduct(undefined, 'untagged'))?.tags).toEqual([tag('pattern', 'dotted', 2)]);
    expect(await ids({ colour: ['red'] })).toEqual(['plain-red', 'striped-red']);
    const tagging = await store.readTagging();
    expect(tagging?.taxonomy.version).toBe(2);
    expect(tagging?.labelVectors[1]).toEqual({ attribute: 'pattern', label: 'plain', vector: new Float32Array([0, 0, 1, 0]) });
  });

  it('pages through live products with a cursor', async () => {
    await store.upsertProducts(undefined, catalog);
    await store.deleteProduct(undefined, 'plain-red', 2);
    const first = await store.scanProducts(undefined, { limit: 2, withVectors: false });
    const second = await store.scanProducts(undefined, { cursor: first.cursor, limit: 2, withVectors: false });
    expect([...first.products, ...second.products].map((entry) => entry.productId)).toEqual(['striped-red', 'striped-blue', 'untagged']);
    expect(second.cursor).toBeUndefined();
  });

  it('keeps the re-tag progress across a restart, its lease expired (the process that held it is gone)', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const claim = await store.claimRetag({ owner: 'old-process', taxonomyVersion: 1, leaseMs: 60_000, now });
    if (!claim.claimed) throw new Error('the claim of a free lease was refused');
    const progress = { ...claim.progress, collection: 'products_v1', productsTagged: 2, productsTotal: 4, cursor: 'after-2' };
    expect(await store.saveRetagProgress(progress)).toBe(true);
    await store.close();
    store = await openStore();
    expect(await store.readRetagProgress()).toEqual({ ...progress, leaseExpiresAt: new Date(0).toISOString() });
    // well inside the old lease by the clock, yet claimable, continuing from the cursor
    expect(await store.claimRetag({ owner: 'new-process', taxonomyVersion: 1, leaseMs: 60_000, now: new Date(now.getTime() + 1000) })).toMatchObject({
      claimed: true,
      progress: { owner: 'new-process', productsTagged: 2, cursor: 'after-2' },
    });
  });
});
