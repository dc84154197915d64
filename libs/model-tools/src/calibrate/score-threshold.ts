/**
 * The cut-off between two score distributions: scores a search should keep
 * (relevant queries' best hits) and scores it should drop (nonsense queries',
 * unrelated photos' best hits).
 */

/** Nearest-rank percentile (0-100) of `values`; throws on an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0-100`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.round((p / 100) * (sorted.length - 1))];
}

export interface ScoreThreshold {
  /** Cosine below which a hit counts as noise, rounded to 3 decimals. */
  threshold: number;
  /** The `relevantPercentile` of the scores to keep (5th by default). */
  relevantLow: number;
  /** The `noisePercentile` of the scores to drop (95th by default). */
  noiseHigh: number;
  /** True when relevantLow <= noiseHigh: the distributions overlap, and the threshold keeps the relevant scores. */
  overlap: boolean;
  /** Shares the threshold gets wrong: relevant scores below it, noise scores at or above it. */
  relevantBelow: number;
  noiseAbove: number;
}

export interface ThresholdOptions {
  relevantPercentile?: number;
  noisePercentile?: number;
}

/**
 * Halfway between the low end of the relevant scores (5th percentile) and the high end of the
 * noise (95th): both tails are trimmed so a few outliers on either side do not move the cut-off,
 * and halfway leaves the same margin to both when they separate. When they overlap, the cut-off
 * is the low end of the relevant scores (rounded down, so that score is kept): a cut-off is there
 * to drop obvious noise, and where noise cannot be told from good hits it must not drop good hits.
 */
export function thresholdBetween(relevant: readonly number[], noise: readonly number[], options: ThresholdOptions = {}): ScoreThreshold {
  if (relevant.length === 0) throw new RangeError('no relevant scores to calibrate against');
  if (noise.length === 0) throw new RangeError('no noise scores to calibrate against');
  const relevantLow = percentile(relevant, options.relevantPercentile ?? 5);
  const noiseHigh = percentile(noise, options.noisePercentile ?? 95);
  const overlap = relevantLow <= noiseHigh;
  const threshold = overlap ? Math.floor(relevantLow * 1000) / 1000 : Math.round(((relevantLow + noiseHigh) / 2) * 1000) / 1000;
  return {
    threshold,
    relevantLow,
    noiseHigh,
    overlap,
    relevantBelow: relevant.filter((score) => score < threshold).length / relevant.length,
    noiseAbove: noise.filter((score) => score >= threshold).length / noise.length,
  };
}
