import { createRng, hashString } from './rng';

describe('createRng', () => {
  it('repeats the same sequence for the same seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    expect(Array.from({ length: 100 }, () => a.next())).toEqual(Array.from({ length: 100 }, () => b.next()));
  });

  it('gives different sequences for neighbouring seeds', () => {
    const a = createRng(1);
    const b = createRng(2);
    const sameDraws = Array.from({ length: 100 }, () => a.next() === b.next()).filter(Boolean).length;
    expect(sameDraws).toBe(0);
  });

  it('stays in range and covers it', () => {
    const rng = createRng('range');
    const ints = Array.from({ length: 5000 }, () => rng.int(3, 7));
    expect(Math.min(...ints)).toBe(3);
    expect(Math.max(...ints)).toBe(7);
    const floats = Array.from({ length: 5000 }, () => rng.next());
    expect(Math.min(...floats)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...floats)).toBeLessThan(1);
    const mean = floats.reduce((sum, value) => sum + value, 0) / floats.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });

  it('forks streams that depend only on the parent seed and the label', () => {
    const parent = createRng(7);
    parent.next();
    const forkA = parent.fork('images');
    const forkB = createRng(7).fork('images');
    expect(forkA.next()).toBe(forkB.next());
    expect(createRng(7).fork('captions').next()).not.toBe(createRng(7).fork('images').next());
  });

  it('picks by weight', () => {
    const rng = createRng(3);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++)
      counts[
        rng.weighted([
          ['a', 3],
          ['b', 1],
        ] as const)
      ]++;
    expect(counts.a / 4000).toBeGreaterThan(0.7);
    expect(counts.a / 4000).toBeLessThan(0.8);
  });
});

describe('hashString', () => {
  it('is stable and seed-dependent', () => {
    expect(hashString('abc')).toBe(hashString('abc'));
    expect(hashString('abc', 1)).not.toBe(hashString('abc', 2));
  });
});
