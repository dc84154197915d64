/**
 * Turns preprocessed RGB HWC uint8 pixels into the model's float32 CHW input,
 * `(x / 255 - mean) / std` per channel, written into a batch tensor in place.
 */
export function toNormalizedChw(
  pixels: Uint8Array,
  size: number,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
  out: Float32Array = new Float32Array(3 * size * size),
  offset = 0,
): Float32Array {
  const plane = size * size;
  if (pixels.length !== plane * 3) throw new RangeError(`expected ${plane * 3} pixel bytes for size ${size}, got ${pixels.length}`);
  if (offset < 0 || offset + plane * 3 > out.length) throw new RangeError(`output tensor too small: needs ${offset + plane * 3} floats, has ${out.length}`);
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * std[c]);
    const shift = mean[c] / std[c];
    const base = offset + c * plane;
    for (let i = 0, p = c; i < plane; i++, p += 3) out[base + i] = pixels[p] * scale - shift;
  }
  return out;
}
