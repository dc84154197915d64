import type { SearchResponse } from '../api/query-api.client';
import { formatResults, resultCount } from './search.command';

const result = (productId: string, score: number) => ({
  productId,
  score,
  title: `Nimbus Red Backpack ${productId}`,
  imageUrl: `http://localhost:8080/catalog-images/${productId}.jpg`,
  price: { amount: 49.5, currency: 'EUR' },
  categories: ['bags', 'backpack'],
  brand: 'Nimbus',
  inStock: true,
});

const response = (overrides: Partial<SearchResponse>): SearchResponse => ({ results: [], tookMs: 12.4, model: 'clip-mini@1.1.0', ...overrides });

describe(formatResults.name, () => {
  it('shows the number of products matched, the rows shown, the mode and the scores of the ranking', () => {
    const text = formatResults(
      response({ results: [result('p1', 0.032787), result('p2', 0.016129)], total: 37, totalIsLowerBound: false, mode: 'hybrid' }),
      10,
    );
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe('37 results, showing 11-12 in 12 ms (hybrid, model clip-mini@1.1.0)');
    expect(lines[2]).toMatch(/^11\s+0\.0328\s+p1\s/);
    expect(lines[3]).toMatch(/^12\s+0\.0161\s+p2\s/);
  });

  it('says "10000+ results" when the total is a lower bound', () => {
    expect(resultCount(response({ results: [result('p1', 12.41)], total: 10_000, totalIsLowerBound: true }))).toBe('10000+ results');
    expect(formatResults(response({ results: [result('p1', 12.41)], total: 10_000, totalIsLowerBound: true, mode: 'keyword' }))).toMatch(/^1\s+12\.4\s+p1/m);
  });

  it('counts the rows when the API does not count ("more like this"), and says when nothing matched', () => {
    expect(resultCount(response({ results: [result('p1', 0.9)] }))).toBe('1 result');
    expect(formatResults(response({ total: 0, totalIsLowerBound: false, mode: 'hybrid' }))).toBe(
      'no products matched\n0 results in 12 ms (hybrid, model clip-mini@1.1.0)',
    );
  });
});
