import { percentile, thresholdBetween } from './score-threshold';

/** `count` evenly spaced scores from `from` to `to`. */
function spread(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}

describe(percentile.name, () => {
  it('takes the nearest rank, whatever the input order', () => {
    const values = [0.5, 0.1, 0.9, 0.3, 0.7];
    expect(percentile(values, 0)).toBe(0.1);
    expect(percentile(values, 50)).toBe(0.5);
    expect(percentile(values, 100)).toBe(0.9);
    expect(percentile(values, 30)).toBe(0.3);
  });

  it('refuses an empty list and a percentile outside 0-100', () => {
    expect(() => percentile([], 5)).toThrow('empty');
    expect(() => percentile([1], 101)).toThrow('outside 0-100');
  });
});

describe(thresholdBetween.name, () => {
  it('puts the cut-off halfway between the 5th percentile of relevant scores and the 95th of noise', () => {
    const result = thresholdBetween(spread(0.3, 0.5, 101), spread(0.0, 0.2, 101));
    expect(result).toMatchObject({ relevantLow: 0.31, noiseHigh: 0.19, threshold: 0.25, overlap: false, relevantBelow: 0, noiseAbove: 0 });
  });

  it('ignores a few outliers on either side', () => {
    const relevant = [...spread(0.3, 0.5, 100), -0.9];
    const noise = [...spread(0.0, 0.2, 100), 0.95];
    const result = thresholdBetween(relevant, noise);
    expect(result.threshold).toBeGreaterThan(0.2);
    expect(result.threshold).toBeLessThan(0.3);
    expect(result.relevantBelow).toBeCloseTo(1 / 101, 6);
    expect(result.noiseAbove).toBeCloseTo(1 / 101, 6);
  });

  it('keeps the relevant scores when the distributions overlap: the cut-off falls to their 5th percentile', () => {
    const result = thresholdBetween(spread(0.1, 0.3, 101), spread(0.15, 0.35, 101));
    expect(result).toMatchObject({ overlap: true, threshold: 0.11 });
    expect(result.relevantLow).toBeCloseTo(0.11, 9);
    expect(result.noiseHigh).toBeCloseTo(0.34, 9);
    // Only the trimmed tail of relevant scores (the 5 of 101 below the 5th percentile) falls under it.
    expect(result.relevantBelow).toBeCloseTo(5 / 101, 9);
    expect(result.noiseAbove).toBe(1);
  });

  it('honours other percentiles', () => {
    const result = thresholdBetween(spread(0.3, 0.5, 101), spread(0.0, 0.2, 101), { relevantPercentile: 0, noisePercentile: 100 });
    expect(result).toMatchObject({ relevantLow: 0.3, noiseHigh: 0.2, threshold: 0.25 });
  });

  it('refuses to calibrate without scores on both sides', () => {
    expect(() => thresholdBetween([], [0.1])).toThrow('no relevant scores');
    expect(() => thresholdBetween([0.3], [])).toThrow('no noise scores');
  });
});
