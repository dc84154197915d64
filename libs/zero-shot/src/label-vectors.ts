/**
 * Prompt ensembling (CLIP paper, section 3.1.4): a label's vector is the mean of its prompts'
 * unit text embeddings, normalised again, so a label described several ways sits between them.
 */

/** Scales a vector to unit length in place; a zero vector is refused (it has no direction to compare). */
export function normaliseInPlace(vector: Float32Array, what = 'vector'): Float32Array {
  let squares = 0;
  for (let i = 0; i < vector.length; i++) squares += vector[i] * vector[i];
  const norm = Math.sqrt(squares);
  if (!(norm > 0) || !Number.isFinite(norm)) throw new RangeError(`${what} has no direction (norm ${norm})`);
  for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}

/** The label vector of a prompt ensemble: mean of the prompts' vectors, each normalised first, re-normalised. */
export function ensembleLabelVector(promptVectors: readonly Float32Array[], label = 'label'): Float32Array {
  if (promptVectors.length === 0) throw new RangeError(`${label} has no prompt vectors`);
  const dimension = promptVectors[0].length;
  const sum = new Float32Array(dimension);
  for (const [index, prompt] of promptVectors.entries()) {
    if (prompt.length !== dimension) throw new RangeError(`prompt ${index + 1} of ${label} has ${prompt.length} values, expected ${dimension}`);
    const unit = normaliseInPlace(Float32Array.from(prompt), `prompt ${index + 1} of ${label}`);
    for (let i = 0; i < dimension; i++) sum[i] += unit[i];
  }
  return normaliseInPlace(sum, label);
}
