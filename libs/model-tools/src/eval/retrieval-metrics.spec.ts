import { cappedPrecisionAtK, hitAtK, mean, nearest, precisionAtK, recallAtK, reciprocalRank, topK } from './retrieval-metrics';

function rows(...vectors: number[][]): Float32Array {
  return Float32Array.from(vectors.flat());
}

describe('retrieval metrics', () => {
  const gallery = rows([1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2], [-1, 0]);

  it('ranks gallery rows by cosine similarity, best first, keeping k', () => {
    const query = rows([1, 0]);
    expect(topK(query, 0, gallery, 4, 2, 3).map((hit) => hit.index)).toEqual([0, 2, 1]);
    expect(topK(query, 0, gallery, 4, 2, 10)).toHaveLength(4);
    expect(topK(query, 0, gallery, 4, 2, 1)[0].score).toBeCloseTo(1);
  });

  it('reads the query row it is given', () => {
    const queries = rows([1, 0], [0, 1]);
    expect(topK(queries, 1, gallery, 4, 2, 1)[0].index).toBe(1);
  });

  it('classifies each item by its nearest candidate', () => {
    expect(nearest(rows([0.9, 0.1], [-0.2, 0.98]), 2, rows([1, 0], [0, 1]), 2, 2)).toEqual([0, 1]);
  });

  it('computes precision@k over k even when fewer results come back', () => {
    expect(precisionAtK([1, 2, 3, 4], (i) => i % 2 === 0, 4)).toBe(0.5);
    expect(precisionAtK([2], () => true, 10)).toBe(0.1);
    expect(precisionAtK([], () => true, 10)).toBe(0);
  });

  it('counts a hit only inside the top k', () => {
    expect(hitAtK([5, 6, 7], 7, 3)).toBe(1);
    expect(hitAtK([5, 6, 7], 7, 2)).toBe(0);
    expect(mean([1, 0, 0, 1])).toBe(0.5);
    expect(mean([])).toBeNaN();
  });

  it('computes recall@k as the share of the relevant items found in the top k', () => {
    expect(recallAtK([1, 2, 3, 4], new Set([2, 4, 9]), 4)).toBeCloseTo(2 / 3);
    expect(recallAtK([1, 2, 3, 4], new Set([4]), 3)).toBe(0);
    expect(() => recallAtK([1], new Set(), 10)).toThrow(RangeError);
  });

  it('caps precision@k at what a perfect ranking could reach when fewer than k items are relevant', () => {
    expect(cappedPrecisionAtK([7, 1, 8, 2], new Set([7, 8]), 10)).toBe(1);
    expect(cappedPrecisionAtK([7, 1, 2, 3], new Set([7, 8]), 10)).toBe(0.5);
    expect(cappedPrecisionAtK([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], new Set(Array.from({ length: 20 }, (_, i) => i * 2)), 10)).toBe(0.5);
  });

  it('scores the rank of the first relevant item, 0 when none was ranked', () => {
    expect(reciprocalRank([5, 6, 7], new Set([7, 6]))).toBe(0.5);
    expect(reciprocalRank([5, 6, 7], new Set([5]))).toBe(1);
    expect(reciprocalRank([5, 6, 7], new Set([1]))).toBe(0);
  });
});
