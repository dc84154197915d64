/**
 * How a product with several images is scored against a label. `mean-vector`: the mean of its
 * unit image vectors, re-normalised, is the product's one vector (one dot product per label
 * whatever the image count; a label must fit the product as a whole). `max-cosine`: the best
 * image's cosine per label (a label shown by any one image counts). The default is chosen by
 * measurement on the generated catalog (`vsearch eval`, docs/benchmarks.md "Zero-shot tagging").
 */
export type ImageAggregation = 'mean-vector' | 'max-cosine';
export const IMAGE_AGGREGATIONS: readonly ImageAggregation[] = ['mean-vector', 'max-cosine'];
export const DEFAULT_IMAGE_AGGREGATION: ImageAggregation = 'mean-vector';

/** Dot product of `vector` with row `row` of a row-major matrix of `dimension`-long rows: the tagging hot loop. */
export function dotWithRow(matrix: Float32Array, row: number, vector: Float32Array, dimension: number): number {
  let sum = 0;
  const offset = row * dimension;
  for (let i = 0; i < dimension; i++) sum += matrix[offset + i] * vector[i];
  return sum;
}

/**
 * Cosines of the product's images with each of `rows` label vectors (unit rows of `matrix`), aggregated
 * as `aggregation` says, written into `out`. Image vectors must be unit length (the stores keep them so).
 * `meanScratch` is the `dimension`-long buffer the mean vector is built in (reused across products).
 */
export function aggregateCosines(
  images: readonly Float32Array[],
  matrix: Float32Array,
  rows: number,
  dimension: number,
  aggregation: ImageAggregation,
  out: Float32Array,
  meanScratch: Float32Array,
): Float32Array {
  if (images.length === 1 || aggregation === 'mean-vector') {
    const vector = images.length === 1 ? images[0] : meanUnitVector(images, dimension, meanScratch);
    for (let row = 0; row < rows; row++) out[row] = dotWithRow(matrix, row, vector, dimension);
    return out;
  }
  for (let row = 0; row < rows; row++) {
    let best = -Infinity;
    for (const image of images) {
      const cosine = dotWithRow(matrix, row, image, dimension);
      if (cosine > best) best = cosine;
    }
    out[row] = best;
  }
  return out;
}

/** The normalised mean of unit vectors, written into `out`. */
export function meanUnitVector(images: readonly Float32Array[], dimension: number, out: Float32Array): Float32Array {
  out.fill(0);
  for (const image of images) for (let i = 0; i < dimension; i++) out[i] += image[i];
  let squares = 0;
  for (let i = 0; i < dimension; i++) squares += out[i] * out[i];
  const norm = Math.sqrt(squares);
  if (norm > 0) for (let i = 0; i < dimension; i++) out[i] /= norm;
  return out;
}
