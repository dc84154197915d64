import { status } from '@grpc/grpc-js';
import type { SearchPage } from '@vsearch/contracts';
import { SearchCallError, type SearchClient } from '@vsearch/grpc-clients';
import { DependencyUnavailableError } from '../errors';
import { GrpcProductIndex } from './grpc.product-index';

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
  facets: { categories: [{ value: 'boot', count: 1 }], brands: [{ value: 'Acme', count: 1 }], priceBands: [], stock: [] },
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

describe(GrpcProductIndex.name, () => {
  it('passes the query to the client and its page back', async () => {
    const { client, calls } = fakeClient({});
    const index = new GrpcProductIndex(client, 500);
    const page = await index.searchByVector({ vector: Float32Array.from([1]), filter: FILTER, limit: 5, offset: 10, scoreThreshold: 0.2, withFacets: true }, { requestId: 'r-1' });
    expect(calls[0]).toEqual([
      { vector: Float32Array.from([1]), filter: FILTER, limit: 5, offset: 10, scoreThreshold: 0.2, withFacets: true },
      { requestId: 'r-1', deadlineMs: 500 },
    ]);
    expect(page).toEqual(PAGE);
  });

  it('answers undefined for "more like this" of an unknown product', async () => {
    const index = new GrpcProductIndex(fakeClient({ fail: new SearchCallError('similar', status.NOT_FOUND, 'no product x') }).client, 500);
    await expect(index.findSimilar({ productId: 'x', filter: FILTER, limit: 3, offset: 0 }, { requestId: 'r' })).resolves.toBeUndefined();
  });

  it.each([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.FAILED_PRECONDITION, status.NOT_FOUND])(
    'turns status %s of a search into a dependency outage (503)',
    async (code) => {
      const index = new GrpcProductIndex(fakeClient({ fail: new SearchCallError('search', code, 'x') }).client, 500);
      await expect(index.searchByVector({ vector: Float32Array.from([1]), filter: FILTER, limit: 1, offset: 0, withFacets: false }, { requestId: 'r' })).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
    },
  );

  it('fails readiness while search is down', async () => {
    await expect(new GrpcProductIndex(fakeClient({ fail: new SearchCallError('listCollections', status.UNAVAILABLE, 'down') }).client, 500).checkReady()).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    await expect(new GrpcProductIndex(fakeClient({}).client, 500).checkReady()).resolves.toBeUndefined();
  });
});
