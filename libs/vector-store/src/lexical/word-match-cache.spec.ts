import { WordMatchCache } from './word-match-cache';

const matches = (count: number, prefix = 'p') => new Map(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));

describe(WordMatchCache.name, () => {
  it('keeps a word with at least minMatches matches, and not a rarer one', () => {
    const cache = new WordMatchCache<number>({ minMatches: 3, maxHeld: 100 });
    cache.offer('boot', matches(3));
    cache.offer('rare', matches(2));
    expect(cache.get('boot')?.size).toBe(3);
    expect(cache.get('rare')).toBeUndefined();
    expect(cache.size).toBe(3);
  });

  it('drops the least recently used words to stay within maxHeld', () => {
    const cache = new WordMatchCache<number>({ minMatches: 1, maxHeld: 10 });
    cache.offer('a', matches(4));
    cache.offer('b', matches(4));
    cache.get('a'); // a is now the most recently used
    cache.offer('c', matches(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.size).toBe(4);
    expect(cache.get('c')?.size).toBe(4);
    expect(cache.size).toBe(8);
  });

  it('never keeps a word larger than maxHeld, and keeps what it held', () => {
    const cache = new WordMatchCache<number>({ minMatches: 1, maxHeld: 10 });
    cache.offer('a', matches(4));
    cache.offer('huge', matches(11));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')?.size).toBe(4);
  });

  it('forgets everything when cleared, and when the stamp changes', () => {
    const cache = new WordMatchCache<number>({ minMatches: 1, maxHeld: 10 });
    cache.validate('0');
    cache.offer('a', matches(4));
    cache.validate('0');
    expect(cache.get('a')?.size).toBe(4);
    cache.validate('1');
    expect(cache.get('a')).toBeUndefined();
    cache.offer('a', matches(4));
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses bounds that are not integers with 1 ≤ minMatches ≤ maxHeld', () => {
    expect(() => new WordMatchCache({ minMatches: 0, maxHeld: 10 })).toThrow(RangeError);
    expect(() => new WordMatchCache({ minMatches: 5, maxHeld: 4 })).toThrow(RangeError);
    expect(() => new WordMatchCache({ minMatches: 1.5, maxHeld: 4 })).toThrow(RangeError);
  });
});
