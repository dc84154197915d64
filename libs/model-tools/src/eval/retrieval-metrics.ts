/**
 * Retrieval arithmetic over L2-normalised embeddings (row-major Float32Array
 * blocks): cosine top-k and the metrics `vsearch eval` reports. Pure functions.
 */

/** Indices of the `k` rows of `gallery` most similar to `query` (best first), with their scores. */
export function topK(
  query: Float32Array,
  queryRow: number,
  gallery: Float32Array,
  galleryCount: number,
  dimension: number,
  k: number,
): { index: number; score: number }[] {
  const best: { index: number; score: number }[] = [];
  const q = queryRow * dimension;
  for (let row = 0; row < galleryCount; row++) {
    const g = row * dimension;
    let score = 0;
    for (let i = 0; i < dimension; i++) score += query[q + i] * gallery[g + i];
    if (best.length < k || score > best[best.length - 1].score) {
      let at = best.length;
      while (at > 0 && best[at - 1].score < score) at--;
      best.splice(at, 0, { index: row, score });
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** Index of the most similar row of `candidates` for each row of `items` (zero-shot classification). */
export function nearest(items: Float32Array, itemCount: number, candidates: Float32Array, candidateCount: number, dimension: number): number[] {
  return Array.from({ length: itemCount }, (_, row) => topK(items, row, candidates, candidateCount, dimension, 1)[0].index);
}

/** Share of the top `k` results that are relevant. */
export function precisionAtK(ranked: readonly number[], isRelevant: (index: number) => boolean, k: number): number {
  const top = ranked.slice(0, k);
  if (top.length === 0) return 0;
  return top.filter(isRelevant).length / k;
}

/** 1 when `target` is among the top `k`, else 0 (averaged over queries, this is recall@k with one relevant item). */
export function hitAtK(ranked: readonly number[], target: number, k: number): number {
  return ranked.slice(0, k).includes(target) ? 1 : 0;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Share of the relevant items found in the top `k` (recall@k; below 1 by construction when more than `k` are relevant). */
export function recallAtK(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) throw new RangeError('recall needs at least one relevant item');
  return ranked.slice(0, k).filter((index) => relevant.has(index)).length / relevant.size;
}

/**
 * Share of the top `k` that is relevant, out of the most a perfect ranking could reach:
 * min(k, relevant). With 3 relevant products in the catalog, finding all 3 in the top 10
 * scores 1, not 0.3, so a floor means the same for a rare brand as for a whole category.
 */
export function cappedPrecisionAtK(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) throw new RangeError('precision needs at least one relevant item');
  return ranked.slice(0, k).filter((index) => relevant.has(index)).length / Math.min(k, relevant.size);
}

/** 1 / rank of the first relevant item (rank from 1), 0 when none was ranked; averaged over queries, this is MRR. */
export function reciprocalRank(ranked: readonly number[], relevant: ReadonlySet<number>): number {
  const at = ranked.findIndex((index) => relevant.has(index));
  return at < 0 ? 0 : 1 / (at + 1);
}
