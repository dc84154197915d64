import { seededRandom } from './ivf-index';
import { Int8Codes, int8KernelModule } from './int8-kernel';

describe(Int8Codes.name, () => {
  it('assembles a valid WebAssembly SIMD module', () => {
    expect(int8KernelModule()).not.toBeNull();
  });

  it.each([7, 16, 128, 130, 512])('approximates dot products of %i-dimensional unit vectors within quantisation error', (dimension) => {
    const random = seededRandom(dimension);
    const unit = () => {
      const v = new Float32Array(dimension).map(() => random() * 2 - 1);
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    };
    const codes = new Int8Codes(int8KernelModule()!, dimension);
    const vectors = Array.from({ length: 40 }, unit);
    const data = new Float32Array(40 * dimension);
    vectors.forEach((v, slot) => {
      data.set(v, slot * dimension);
      codes.encode(slot, data, slot * dimension);
    });
    const query = unit();
    const queryScale = codes.setQuery(query);
    const exact = vectors.map((v) => v.reduce((sum, x, i) => sum + x * query[i], 0));
    const range = codes.scoreRange(0, 40);
    const approx = Array.from(range, (raw, slot) => raw * queryScale * codes.scaleOf(slot));
    approx.forEach((score, slot) => expect(Math.abs(score - exact[slot])).toBeLessThan(0.02));
    const bySlots = codes.scoreSlots(Int32Array.from([39, 3, 17]));
    expect(Array.from(bySlots)).toEqual([range[39], range[3], range[17]]);
    // select: exactly the slots whose approximate score beats the floor, with those scores
    const ranked = [...approx].sort((a, b) => b - a);
    const floor = (ranked[9] + ranked[10]) / 2; // between two scores: float32 vs float64 rounding cannot flip a slot
    const selected = codes.selectRange(0, 40, floor);
    const expected = approx.flatMap((score, slot) => (score > floor ? [slot] : []));
    expect(Array.from(selected.slots)).toEqual(expected);
    Array.from(selected.scores).forEach((score, i) => expect(score).toBeCloseTo(approx[expected[i]], 5));
    const fromSlots = codes.selectSlots(Int32Array.from([39, 3, 17]), -Infinity);
    expect(Array.from(fromSlots.slots)).toEqual([39, 3, 17]);
  });
});
