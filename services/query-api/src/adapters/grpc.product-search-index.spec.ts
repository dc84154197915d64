import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, type SearchPage } from '@vsearch/contracts';
import { SearchCallError, type SearchClient } from '@vsearch/grpc-clients';
import { GrpcProductSearchIndex } from './grpc.product-search-index';

const PAGE: SearchPage = {
  hits: [
    {
      product: {
        productId: 'p1',
        version: 3,
        title: 'Red Boot',
        description: '',
        brand: 'Acme',
        categories: ['footwear', 'boot'],
        price: { amount: 99.99, currency: 'EUR' },
        inStock: true,
        attributes: { colour: 'red' },
      },
      score: 0.31,
      matchedImageId: 'img-2',
      matchedImageUrl: 'http://images/p1/img-2.jpg',
    },
  ],
  facets: {
    categories: [{ value: 'boot', count: 1 }],
    brands: [{ value: 'Acme', count: 1 }],
    priceBands: [{ value: '50-100', count: 1 }],
    stock: [{ value: 'in_stock', count: 1 }],
  },
  collection: 'products_v1',
  modelId: 'm@1',
};

function fakeClient(behaviour: { fail?: SearchCallError }) {
  const calls: unknown[][] = [];
  const answer = async (args: unknown[]) => {
    calls.push(args);
    if (behaviour.fail) throw behaviour.fail;
    return PAGE;
  };
  const client = {
    search: (...args: unknown[]) => answer(args),
    similar: (...args: unknown[]) => answer(args),
    listCollections: async () => {
      if (behaviour.fail) throw behaviour.fail;
      return [];
    },
  };
  return { client: client as unknown as SearchClient, calls };
}

const FILTER = { categories: ['boot'], brands: [], minPrice: 10, maxPrice: undefined, inStock: true };

describe(GrpcProductSearchIndex.name, () => {
  it('passes the query (mode, vector, words, sort, fusion, filters, paging, cut-off) to the client and its page back', async () => {
    const { client, calls } = fakeClient({});
    const index = new GrpcProductSearchIndex(client, 500);
    const fusion = { k: 30, vectorWeight: 1, keywordWeight: 2 };
    const query = {
      mode: 'hybrid' as const,
      vector: Float32Array.from([1]),
      text: 'Nimbus backpack',
      sort: 'price_asc' as const,
      fusion,
      filter: FILTER,
      limit: 5,
      offset: 10,
      scoreThreshold: 0.2,
      withFacets: true,
    };
    const page = await index.searchProducts(query, { requestId: 'r-1' });
    expect(calls[0]).toEqual([
      { ...query, vector: Float32Array.from([1]) },
      { requestId: 'r-1', deadlineMs: 500 },
    ]);
    expect(page).toEqual(PAGE);
  });

  it('answers undefined for "more like this" of an unknown product', async () => {
    const index = new GrpcProductSearchIndex(fakeClient({ fail: new SearchCallError('similar', status.NOT_FOUND, 'no product x') }).client, 500);
    await expect(index.findSimilar({ productId: 'x', modelId: 'm@1', filter: FILTER, limit: 3, offset: 0 }, { requestId: 'r' })).resolves.toBeUndefined();
  });

  it.each([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.FAILED_PRECONDITION, status.NOT_FOUND])(
    'turns status %s of a search into a dependency outage (503)',
    async (code) => {
      const index = new GrpcProductSearchIndex(fakeClient({ fail: new SearchCallError('search', code, 'x') }).client, 500);
      await expect(
        index.searchProducts(
          { mode: 'vector', vector: Float32Array.from([1]), sort: 'relevance', filter: FILTER, limit: 1, offset: 0, withFacets: false },
          { requestId: 'r' },
        ),
      ).rejects.toBeInstanceOf(DependencyUnavailableError);
    },
  );

  it('fails readiness while search is down', async () => {
    await expect(
      new GrpcProductSearchIndex(fakeClient({ fail: new SearchCallError('listCollections', status.UNAVAILABLE, 'down') }).client, 500).checkReady(),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(new GrpcProductSearchIndex(fakeClient({}).client, 500).checkReady()).resolves.toBeUndefined();
  });
});
