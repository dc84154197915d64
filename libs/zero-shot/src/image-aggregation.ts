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

/** Label rows whose dot products with a vector are computed together: each value of the vector read once serves all four. */
const BLOCK_ROWS = 4;

/**
 * Unit label vectors packed for the tagging hot loop, with the buffers a product is scored in
 * (reused across products: scoring allocates nothing, and one matrix is used by one caller at a time).
 *
 * Layout: blocks of 4 rows, interleaved by dimension (block b, dimension i, row k of the block at
 * `(b × dimension + i) × 4 + k`), the last block padded with zero rows. The kernel then reads the
 * matrix as one sequential stream and keeps four independent sums (the additions do not wait on
 * each other), which measured about twice as fast in V8 as one dot product per row. Float64
 * throughout: reading a Float32Array costs a conversion per value, and one element type keeps the
 * loop monomorphic (image vectors are copied into a Float64Array first; adding float32 values in
 * double precision is exact, so the only difference from float32 arithmetic is less rounding).
 */
export class LabelMatrix {
  /** Rows padded to a multiple of BLOCK_ROWS: the length `multiply` writes. */
  readonly paddedRows: number;
  private readonly packed: Float64Array;
  private readonly productVector: Float64Array;
  private readonly imageCosines: Float64Array;

  /** `rows`: unit vectors of `dimension` values (callers normalise them, with their own error messages). */
  constructor(
    rows: ReadonlyArray<ArrayLike<number>>,
    readonly dimension: number,
  ) {
    this.paddedRows = Math.ceil(rows.length / BLOCK_ROWS) * BLOCK_ROWS;
    this.packed = new Float64Array(this.paddedRows * dimension);
    rows.forEach((row, index) => {
      if (row.length !== dimension) throw new RangeError(`label row ${index} has ${row.length} values, expected ${dimension}`);
      const block = Math.floor(index / BLOCK_ROWS);
      const lane = index % BLOCK_ROWS;
      for (let i = 0; i < dimension; i++) this.packed[(block * dimension + i) * BLOCK_ROWS + lane] = row[i];
    });
    this.productVector = new Float64Array(dimension);
    this.imageCosines = new Float64Array(this.paddedRows);
  }

  /** Rows of `out` sized for `cosinesOf` and `multiply`. */
  newRowBuffer(): Float64Array {
    return new Float64Array(this.paddedRows);
  }

  /** `out[row]` = row · `vector` for every (padded) row: the tagging hot loop. */
  multiply(vector: Float64Array, out: Float64Array): Float64Array {
    const packed = this.packed;
    const dimension = this.dimension;
    let at = 0;
    for (let row = 0; row < this.paddedRows; row += BLOCK_ROWS) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < dimension; i++, at += BLOCK_ROWS) {
        const value = vector[i];
        s0 += packed[at] * value;
        s1 += packed[at + 1] * value;
        s2 += packed[at + 2] * value;
        s3 += packed[at + 3] * value;
      }
      out[row] = s0;
      out[row + 1] = s1;
      out[row + 2] = s2;
      out[row + 3] = s3;
    }
    return out;
  }

  /**
   * Cosines of the product's images with every row, aggregated as `aggregation` says, written into
   * `out` (from `newRowBuffer`; rows past the label count are padding). Image vectors must be unit
   * length (the stores keep them so) and `dimension` long.
   */
  cosinesOf(images: readonly Float32Array[], aggregation: ImageAggregation, out: Float64Array): Float64Array {
    const vector = this.productVector;
    const dimension = this.dimension;
    if (images.length === 1 || aggregation === 'mean-vector') {
      // the mean vector's direction is the sum's: dot with the sum, then divide by its length
      const first = images[0];
      for (let i = 0; i < dimension; i++) vector[i] = first[i];
      for (let image = 1; image < images.length; image++) {
        const next = images[image];
        for (let i = 0; i < dimension; i++) vector[i] += next[i];
      }
      this.multiply(vector, out);
      if (images.length > 1) {
        let squares = 0;
        for (let i = 0; i < dimension; i++) squares += vector[i] * vector[i];
        const norm = Math.sqrt(squares);
        if (norm > 0) for (let row = 0; row < this.paddedRows; row++) out[row] /= norm;
      }
      return out;
    }
    out.fill(-Infinity);
    for (const image of images) {
      for (let i = 0; i < dimension; i++) vector[i] = image[i];
      const cosines = this.multiply(vector, this.imageCosines);
      for (let row = 0; row < this.paddedRows; row++) if (cosines[row] > out[row]) out[row] = cosines[row];
    }
    return out;
  }
}
