import { facetsOfMatches, matchedProducts, sortedMatches, type RankedPoint } from './matched-products';

const point = (id: string, productId: string, score: number, extra: Record<string, unknown> = {}): RankedPoint => ({
  id,
  score,
  payload: { productId, categories: ['shoes'], brand: 'acme', price: 10, inStock: true, ...extra },
});

describe(matchedProducts.name, () => {
  it("keeps each product's first (best-ranked) point and skips points without a product id", () => {
    const products = matchedProducts([point('a1', 'a', 0.9), point('b1', 'b', 0.8), point('a2', 'a', 0.7), { id: 'x', score: 0.6, payload: {} }]);
    expect(products.map((product) => [product.productId, product.pointId, product.score])).toEqual([
      ['a', 'a1', 0.9],
      ['b', 'b1', 0.8],
    ]);
  });
});

describe(sortedMatches.name, () => {
  const products = matchedProducts([
    point('1', 'cheap-old', 0.9, { price: 5, updatedAt: '2024-01-01T00:00:00Z' }),
    point('2', 'dear-undated', 0.8, { price: 50 }),
    point('3', 'cheap-new', 0.7, { price: 5, updatedAt: '2024-03-01T00:00:00+02:00' }),
  ]);
  const order = (sort: Parameters<typeof sortedMatches>[1]) => sortedMatches(products, sort).map((product) => product.productId);

  it('keeps relevance order, and keeps it among equal prices', () => {
    expect(order('relevance')).toEqual(['cheap-old', 'dear-undated', 'cheap-new']);
    expect(order('price_asc')).toEqual(['cheap-old', 'cheap-new', 'dear-undated']);
    expect(order('price_desc')).toEqual(['dear-undated', 'cheap-old', 'cheap-new']);
  });

  it('puts the most recently changed first and undated products last', () => {
    expect(order('newest')).toEqual(['cheap-new', 'cheap-old', 'dear-undated']);
  });
});

describe(facetsOfMatches.name, () => {
  it('counts products (not images) per value, most frequent first, price bands in band order, no empty brand', () => {
    const facets = facetsOfMatches(
      matchedProducts([
        point('1', 'a', 1, { categories: ['shoes', 'boots', 'shoes'], price: 250 }),
        point('2', 'a', 1),
        point('3', 'b', 1, { brand: '', price: 20, inStock: false }),
        point('4', 'c', 1, { brand: 'zeta', categories: ['bags'], price: 25 }),
      ]),
    );
    expect(facets).toEqual({
      categories: [
        { value: 'shoes', count: 2 },
        { value: 'bags', count: 1 },
        { value: 'boots', count: 1 },
      ],
      brands: [
        { value: 'acme', count: 1 },
        { value: 'zeta', count: 1 },
      ],
      priceBands: [
        { value: '0-25', count: 1 },
        { value: '25-50', count: 1 },
        { value: '200+', count: 1 },
      ],
      stock: [
        { value: 'in_stock', count: 2 },
        { value: 'out_of_stock', count: 1 },
      ],
    });
  });

  it('is empty when nothing matched', () => {
    expect(facetsOfMatches([])).toEqual({ categories: [], brands: [], priceBands: [], stock: [] });
  });
});
