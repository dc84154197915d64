/**
 * Keyword search behaviour of the embedded store beyond the cross-adapter conformance suite:
 * typo tolerance (Qdrant's sparse vectors have none) and the match-count cap.
 * real: the embedded store in memory, its MiniSearch index. mock: nothing.
 */
import { MATCH_COUNT_CAP } from '@vsearch/contracts';
import type { ProductWithImageVectors } from '../types';
import { EmbeddedVectorStore } from './embedded.vector-store';

const item = (productId: string, title: string, brand = 'acme'): ProductWithImageVectors => ({
  product: {
    productId,
    version: 1,
    title,
    description: '',
    brand,
    categories: ['bags'],
    price: { amount: 30, currency: 'EUR' },
    inStock: true,
    attributes: {},
  },
  images: [{ imageId: 'main', imageUrl: `http://images.test/${productId}.jpg`, vector: new Float32Array([1, 0, 0, 0]) }],
});

describe(`${EmbeddedVectorStore.name} keyword search`, () => {
  let store: EmbeddedVectorStore;
  let collection: string;

  beforeEach(async () => {
    store = new EmbeddedVectorStore();
    await store.open();
    collection = await store.createGeneration('model', 4);
  });

  afterEach(() => store.close());

  it('forgives typos in words the index does not know: "bakcpack" finds backpacks', async () => {
    await store.upsertProducts(collection, [item('b1', 'Canvas backpack'), item('b2', 'Leather Backpack'), item('t1', 'Canvas tote')]);
    const result = await store.searchSimilar({ collection, text: 'bakcpack', mode: 'keyword', limit: 10 });
    expect(result.hits.map((hit) => hit.product.productId).sort()).toEqual(['b1', 'b2']);
    expect(result.total).toBe(2);
    expect((await store.searchSimilar({ collection, text: 'canvaz', mode: 'keyword', limit: 10 })).total).toBe(2);
  });

  it('matches a word it knows as typed, without its typo neighbours', async () => {
    await store.upsertProducts(collection, [item('boots', 'Hiking boots'), item('boats', 'Model boats')]);
    const result = await store.searchSimilar({ collection, text: 'boats', mode: 'keyword', limit: 10 });
    expect(result.hits.map((hit) => hit.product.productId)).toEqual(['boats']);
  });

  it('counts matches exactly up to the cap, then reports the cap as a lower bound', async () => {
    const products = Array.from({ length: MATCH_COUNT_CAP + 5 }, (_, i) => item(`p${i}`, `Canvas tote ${i}`));
    for (let i = 0; i < products.length; i += 1000) await store.upsertProducts(collection, products.slice(i, i + 1000));
    const all = await store.searchSimilar({ collection, text: 'tote', mode: 'keyword', limit: 5, withFacets: true });
    expect(all).toMatchObject({ total: MATCH_COUNT_CAP, totalIsLowerBound: true });
    expect(all.hits).toHaveLength(5);
    const few = await store.searchSimilar({ collection, text: 'tote 17', mode: 'keyword', limit: 5 });
    expect(few.hits[0].product.productId).toBe('p17');
    await store.upsertProducts(collection, [item('x', 'Wool scarf')]);
    expect(await store.searchSimilar({ collection, text: 'scarf', mode: 'keyword', limit: 5 })).toMatchObject({ total: 1, totalIsLowerBound: false });
  });
});
