import { filterConditions, imageFilter, productRecordFilter } from './qdrant-filter';

describe(imageFilter.name, () => {
  it('turns every filter field into a Qdrant condition on image points', () => {
    expect(imageFilter({ categories: ['a', 'b'], brands: ['x'], minPrice: 10, maxPrice: 20, inStock: false }, 'p9')).toEqual({
      must: [
        { key: 'kind', match: { value: 'image' } },
        { key: 'categories', match: { any: ['a', 'b'] } },
        { key: 'brand', match: { any: ['x'] } },
        { key: 'price', range: { gte: 10, lte: 20 } },
        { key: 'inStock', match: { value: false } },
      ],
      must_not: [{ key: 'productId', match: { value: 'p9' } }],
    });
  });

  it('leaves out unset fields and empty lists', () => {
    expect(imageFilter({ categories: [], maxPrice: 5 })).toEqual({
      must: [
        { key: 'kind', match: { value: 'image' } },
        { key: 'price', range: { gte: null, lte: 5 } },
      ],
    });
  });
});

describe(productRecordFilter.name, () => {
  it('counts live product records only', () => {
    expect(productRecordFilter(undefined)).toEqual({
      must: [
        { key: 'kind', match: { value: 'product' } },
        { key: 'deleted', match: { value: false } },
      ],
    });
  });
});

describe(filterConditions.name, () => {
  it('matches tags on the tag_keys keywords: one condition per attribute (AND), its labels in one any (OR)', () => {
    expect(filterConditions({ tags: { pattern: ['striped', 'dotted'], colour: ['red'] } })).toEqual([
      { key: 'tag_keys', match: { any: ['pattern=striped', 'pattern=dotted'] } },
      { key: 'tag_keys', match: { any: ['colour=red'] } },
    ]);
  });
});
