import { packFloat32LE, unpackFloat32LE } from './float32-wire';

describe(packFloat32LE.name, () => {
  it('writes little-endian float32 values, also for a view into a larger buffer', () => {
    const backing = new Float32Array([9, 1.5, -2, 9]);
    const bytes = packFloat32LE(backing.subarray(1, 3));
    expect(bytes.length).toBe(8);
    expect(bytes.readFloatLE(0)).toBe(1.5);
    expect(bytes.readFloatLE(4)).toBe(-2);
  });
});

describe(unpackFloat32LE.name, () => {
  it('reads back what was packed, from unaligned bytes too', () => {
    const values = new Float32Array([0.25, -1, 3.5]);
    const unaligned = Buffer.concat([Buffer.from([7]), packFloat32LE(values)]).subarray(1);
    expect(Array.from(unpackFloat32LE(unaligned))).toEqual([0.25, -1, 3.5]);
  });
});
