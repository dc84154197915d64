/** L2 normalisation of row-major vector blocks (the embedder's output contract). */

/**
 * Copies `count` rows of `dimension` floats from `source` into a new array,
 * each scaled to unit length. A zero row stays zero rather than becoming NaN.
 */
export function l2NormalizeRows(source: ArrayLike<number>, count: number, dimension: number): Float32Array {
  const out = new Float32Array(count * dimension);
  for (let row = 0; row < count; row++) {
    const start = row * dimension;
    let sumOfSquares = 0;
    for (let i = 0; i < dimension; i++) {
      const value = source[start + i];
      sumOfSquares += value * value;
    }
    const scale = sumOfSquares > 0 ? 1 / Math.sqrt(sumOfSquares) : 0;
    for (let i = 0; i < dimension; i++) out[start + i] = source[start + i] * scale;
  }
  return out;
}
