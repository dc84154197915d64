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
  if (out !== cosines) for (let i = 0; i < cosines.length; i++) out[i] = cosines[i];
  return softmaxInPlace(out, logitScale, 0, cosines.length);
}

/**
 * Replaces `values[start]` up to (not including) `values[end]` with the softmax of logitScale × each
 * value, allocating nothing (the tagger runs it per attribute on one row of all labels' cosines).
 */
export function softmaxInPlace<Values extends Float32Array | Float64Array>(values: Values, logitScale: number, start: number, end: number): Values {
  let max = -Infinity;
  for (let i = start; i < end; i++) if (values[i] > max) max = values[i];
  let sum = 0;
  for (let i = start; i < end; i++) {
    const e = Math.exp(logitScale * (values[i] - max));
    values[i] = e;
    sum += e;
  }
  for (let i = start; i < end; i++) values[i] /= sum;
  return values;
}
