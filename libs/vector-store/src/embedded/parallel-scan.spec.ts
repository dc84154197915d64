import { EmbeddedCollection } from './embedded-collection';
import { seededRandom } from './ivf-index';

describe('EmbeddedCollection full scan on two threads', () => {
  it('returns exactly what the one-threaded scan returns, with and without filters', () => {
    const dimension = 16;
    const random = seededRandom(11);
    const unit = () => {
      const v = new Float32Array(dimension).map(() => random() * 2 - 1);
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    };
    const make = (scanThreads: 1 | 2) =>
      new EmbeddedCollection(
        { name: 'c', modelId: 'm', dimension, createdAt: '' },
        { exactSearchBelow: Number.MAX_SAFE_INTEGER, filteredExactBelow: 0, scanThreads, parallelScanFrom: 0 },
      );
    const one = make(1);
    const two = make(2);
    try {
      // Three chunks of 16,384 slots: the worker scans the middle one.
      for (let i = 0; i < 35_000; i++) {
        const product = {
          productId: `p${i}`,
          version: 1,
          title: '',
          description: '',
          brand: `b${i % 7}`,
          categories: [`c${i % 13}`],
          price: { amount: i % 100, currency: 'EUR' },
          inStock: i % 2 === 0,
          attributes: {},
        };
        const vectors = [unit()];
        one.applyUpsert(product, [{ imageId: 'a', imageUrl: '' }], vectors);
        two.applyUpsert(product, [{ imageId: 'a', imageUrl: '' }], vectors);
      }
      // Many scans in a row: each job starts only once the worker has left the previous one.
      for (let q = 0; q < 40; q++) {
        const query = unit();
        for (const filter of [undefined, { inStock: true, maxPrice: 30 }, { brands: ['b3'] }]) {
          const expected = one.topPoints(query, filter, 10, undefined);
          expect(expected).toHaveLength(10);
          expect(two.topPoints(query, filter, 10, undefined)).toEqual(expected);
        }
      }
    } finally {
      two.dispose();
    }
  });
});
