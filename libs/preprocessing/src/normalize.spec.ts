import { toNormalizedChw } from './normalize';

describe(toNormalizedChw.name, () => {
  const mean = [0.5, 0.25, 0] as const;
  const std = [0.5, 0.25, 1] as const;

  it('writes (x / 255 - mean) / std per channel in CHW order', () => {
    // 2 × 2 pixels, HWC: (255,0,0) (0,255,0) (0,0,255) (255,255,255)
    const pixels = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const out = toNormalizedChw(pixels, 2, mean, std);
    expect(Array.from(out)).toEqual(
      [
        [1, -1, -1, 1],
        [-1, 3, -1, 3],
        [0, 0, 1, 1],
      ]
        .flat()
        .map((value) => expect.closeTo(value, 6)),
    );
  });

  it('fills one slot of a batch tensor in place', () => {
    const pixels = new Uint8Array(3 * 4).fill(255);
    const batch = new Float32Array(3 * 3 * 4).fill(-42);
    const returned = toNormalizedChw(pixels, 2, [0, 0, 0], [1, 1, 1], batch, 12);
    expect(returned).toBe(batch);
    expect(Array.from(batch.subarray(0, 12))).toEqual(new Array(12).fill(-42));
    expect(Array.from(batch.subarray(12, 24))).toEqual(new Array(12).fill(1));
    expect(Array.from(batch.subarray(24))).toEqual(new Array(12).fill(-42));
  });

  it('refuses pixel buffers and tensors of the wrong size', () => {
    expect(() => toNormalizedChw(new Uint8Array(11), 2, mean, std)).toThrow(RangeError);
    expect(() => toNormalizedChw(new Uint8Array(12), 2, mean, std, new Float32Array(20), 10)).toThrow(RangeError);
  });
});
