import { normaliseQueryText, QueryEmbeddingCache } from './query-embedding.cache';

const embedding = (value: number) => Float32Array.from([value]);

describe(QueryEmbeddingCache.name, () => {
  it('normalises case, surrounding and repeated whitespace', () => {
    expect(normaliseQueryText('  Red\t LEATHER\n boots ')).toBe('red leather boots');
  });

  it('keys entries by model id as well as text', () => {
    const cache = new QueryEmbeddingCache(10);
    cache.set('m@1', 'boots', embedding(1));
    expect(cache.get('m@1', 'boots')?.[0]).toBe(1);
    expect(cache.get('m@2', 'boots')).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new QueryEmbeddingCache(2);
    cache.set('m@1', 'a', embedding(1));
    cache.set('m@1', 'b', embedding(2));
    cache.get('m@1', 'a');
    cache.set('m@1', 'c', embedding(3));
    expect(cache.size).toBe(2);
    expect(cache.get('m@1', 'b')).toBeUndefined();
    expect(cache.get('m@1', 'a')).toBeDefined();
    expect(cache.get('m@1', 'c')).toBeDefined();
  });
});
