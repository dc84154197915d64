import { seededRandom } from './ivf-index';
import { TopK, dotAt } from './top-k';

describe(TopK.name, () => {
  it('keeps the k best scores, best first', () => {
    const random = seededRandom(5);
    const scores = Array.from({ length: 1000 }, () => random());
    const top = new TopK(10);
    scores.forEach((score, id) => top.push(score, id));
    const expected = scores
      .map((score, id) => ({ score, id }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    expect(top.sorted().map((entry) => entry.id)).toEqual(expected.map((entry) => entry.id));
    expect(top.floor).toBeCloseTo(expected[9].score, 6);
  });

  it('takes everything while not full', () => {
    const top = new TopK(3);
    top.push(-5, 1);
    expect(top.floor).toBe(-Infinity);
    expect(top.sorted()).toEqual([{ id: 1, score: -5 }]);
  });
});

describe(dotAt.name, () => {
  it('computes dot products for dimensions that are not multiples of four', () => {
    const data = new Float32Array([9, 1, 2, 3, 4, 5]);
    expect(dotAt(data, 1, new Float32Array([1, 1, 1, 1, 2]), 5)).toBe(1 + 2 + 3 + 4 + 10);
  });
});
