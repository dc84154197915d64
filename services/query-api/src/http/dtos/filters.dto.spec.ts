import { InvalidRequestError } from '@vsearch/contracts';
import { parseInput } from '../validation';
import { textSearchQuerySchema } from './search-query.dto';
import { toProductFilter } from './filters.dto';

describe('search query DTO', () => {
  it('parses repeated and comma-separated lists, prices, flags and paging', () => {
    const query = parseInput(
      textSearchQuerySchema,
      { q: ' boots ', category: ['a, b', 'c'], brand: 'X', minPrice: '0', maxPrice: '10.5', inStock: 'false', limit: '3', offset: '6' },
      'query',
    );
    expect(query).toMatchObject({ q: 'boots', limit: 3, offset: 6 });
    expect(toProductFilter(query)).toEqual({ categories: ['a', 'b', 'c'], brands: ['X'], minPrice: 0, maxPrice: 10.5, inStock: false });
  });

  it('defaults paging and leaves absent filters unset', () => {
    const query = parseInput(textSearchQuerySchema, { q: 'boots' }, 'query');
    expect([query.limit, query.offset]).toEqual([24, 0]);
    expect(toProductFilter(query)).toEqual({ categories: [], brands: [], minPrice: undefined, maxPrice: undefined, inStock: undefined });
  });

  it.each([
    [{ q: 'a', minPrice: '1e3' }, 'minPrice'],
    [{ q: 'a', minPrice: '' }, 'minPrice'],
    [{ q: 'a', limit: '' }, 'limit'],
    [{ q: 'a', limit: 'ten' }, 'limit'],
    [{ q: 'a', offset: '-1' }, 'offset'],
    [{ q: 'a', category: Array.from({ length: 21 }, (_, i) => `c${i}`) }, 'category'],
    [{ q: ['a', 'b'] }, 'q'],
  ])('refuses %j naming %s', (raw, name) => {
    expect(() => parseInput(textSearchQuerySchema, raw, 'query')).toThrow(InvalidRequestError);
    try {
      parseInput(textSearchQuerySchema, raw, 'query');
    } catch (error) {
      expect((error as InvalidRequestError).message).toContain(name);
      expect((error as InvalidRequestError).code).toBe('invalid_parameter');
    }
  });
});
