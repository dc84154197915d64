/**
 * Confidences from cosines: softmax over an attribute's labels of logitScale × cosine, the way
 * CLIP turns its similarities into class probabilities (logitScale is the model's learned temperature).
 */

/** Writes the softmax of `logitScale × cosines[i]` into `out` (may be `cosines` itself) and returns it. */
export function softmaxOfCosines(
  cosines: Float32Array | readonly number[],
  logitScale: number,
  out: Float32Array = new Float32Array(cosines.length),
): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < cosines.length; i++) if (cosines[i] > max) max = cosines[i];
  let sum = 0;
  for (let i = 0; i < cosines.length; i++) {
    const e = Math.exp(logitScale * (cosines[i] - max));
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < cosines.length; i++) out[i] /= sum;
  return out;
}
