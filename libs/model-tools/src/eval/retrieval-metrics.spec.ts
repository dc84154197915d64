import { hitAtK, mean, nearest, precisionAtK, topK } from './retrieval-metrics';

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
});
