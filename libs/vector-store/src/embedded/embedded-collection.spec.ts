import { rerankPoolSize } from './embedded-collection';

describe(rerankPoolSize.name, () => {
  it('re-scores rerank candidates per point for a page, and at least 40', () => {
    expect(rerankPoolSize(10, 4)).toBe(40);
    expect(rerankPoolSize(2, 4)).toBe(40);
    expect(rerankPoolSize(250, 4)).toBe(1000);
    expect(rerankPoolSize(1000, 4)).toBe(4000);
  });

  it('adds one candidate per point past the first 1,000, so a ranking 10,000 deep re-scores 13,000, not 40,000', () => {
    expect(rerankPoolSize(1001, 4)).toBe(4001);
    expect(rerankPoolSize(10_001, 4)).toBe(13_001);
    expect(rerankPoolSize(10_001, 1)).toBe(10_001);
  });
});
