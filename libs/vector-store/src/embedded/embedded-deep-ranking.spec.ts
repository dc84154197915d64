import { unitVectors } from '../../bench/hybrid-bench-setup';
import type { ProductWithImageVectors } from '../types';
import { EmbeddedVectorStore } from './embedded.vector-store';

/**
 * A text search with a threshold ranks up to 10,000 products deep (its total and facets count
 * them); over products with several images the quantized scan keeps maxImagesPerProduct points
 * per product wanted and re-scores a pool past the first 1,000 points more thinly (rerankPoolSize).
 * Its total, facets and page must be those of the exact float32 scan.
 */
describe('EmbeddedVectorStore ranking thousands of products with several images each', () => {
  jest.setTimeout(30_000);
  const dimension = 32;
  // More points than a 10,000-deep ranking's products, so the scan keeps each product's best point (topPointsQuantized)
  const products = 6000;
  const vectors = unitVectors(products * 3, dimension, 11);
  const catalog: ProductWithImageVectors[] = Array.from({ length: products }, (_, i) => ({
    product: {
      productId: `p${i}`,
      version: 1,
      title: `Product ${i}`,
      description: '',
      categories: [i % 3 === 0 ? 'mug' : 'lamp'],
      brand: i % 2 === 0 ? 'Northwind' : 'Fabrikam',
      price: { amount: 5 + (i % 250), currency: 'EUR' },
      inStock: i % 4 !== 0,
      attributes: {},
    },
    // one to three images: the product's best image decides its place
    images: Array.from({ length: 1 + (i % 3) }, (_, image) => ({
      imageId: `i${image}`,
      imageUrl: `http://images.test/p${i}/${image}.jpg`,
      vector: vectors[i * 3 + image],
    })),
  }));

  async function filled(quantized: boolean): Promise<{ store: EmbeddedVectorStore; collection: string }> {
    const store = new EmbeddedVectorStore({ index: { quantized } });
    await store.open();
    const collection = await store.createGeneration('model', dimension);
    await store.upsertProducts(collection, catalog);
    return { store, collection };
  }

  it.each([
    ['a threshold about half the products pass', 0],
    ['a threshold a few hundred pass', 0.3],
    ['no threshold (a page of 24)', undefined],
  ])('counts, facets and pages as the exact scan does, with %s', async (_name, scoreThreshold) => {
    const quantized = await filled(true);
    const exact = await filled(false);
    for (const query of unitVectors(5, dimension, 12)) {
      const search = { vector: query, mode: 'vector' as const, scoreThreshold, limit: 24, withFacets: true };
      const fast = await quantized.store.searchSimilar({ collection: quantized.collection, ...search });
      const reference = await exact.store.searchSimilar({ collection: exact.collection, ...search });
      expect(fast.total).toBeGreaterThan(24);
      expect(fast.total).toBe(reference.total);
      expect(fast.facets).toEqual(reference.facets);
      expect(fast.hits.map((hit) => hit.product.productId)).toEqual(reference.hits.map((hit) => hit.product.productId));
      fast.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(reference.hits[i].score, 5));
    }
    await quantized.store.close();
    await exact.store.close();
  });
});
