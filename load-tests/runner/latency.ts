/** Latency and outcome bookkeeping shared by the HTTP and gRPC runners (HDR histogram, microsecond precision). */
import * as hdr from 'hdr-histogram-js';
import type { LoadResult } from './thresholds';

export class LatencyRecorder {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  private requests = 0;
  private errors = 0;
  private readonly errorsByReason: Record<string, number> = {};

  recordSuccess(latencyMs: number): void {
    this.requests += 1;
    this.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  }

  recordFailure(reason: string, latencyMs?: number): void {
    this.requests += 1;
    this.errors += 1;
    this.errorsByReason[reason] = (this.errorsByReason[reason] ?? 0) + 1;
    if (latencyMs !== undefined) this.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  }

  result(scenario: string, target: string, durationMs: number): LoadResult {
    const percentile = (p: number) => (this.histogram.totalCount === 0 ? 0 : this.histogram.getValueAtPercentile(p) / 1000);
    return {
      scenario,
      target,
      durationMs,
      requests: this.requests,
      errors: this.errors,
      throughput: durationMs > 0 ? (this.requests * 1000) / durationMs : 0,
      latencyMs: { p50: percentile(50), p95: percentile(95), p99: percentile(99), max: this.histogram.totalCount ? this.histogram.maxValue / 1000 : 0 },
      errorsByReason: { ...this.errorsByReason },
    };
  }
}

/** Picks request definitions by weight with a seeded generator, so runs are repeatable. */
export class WeightedPicker<T extends { weight: number }> {
  private readonly cumulative: number[] = [];
  private readonly total: number;
  private state: number;

  constructor(
    private readonly items: T[],
    seed = 42,
  ) {
    let sum = 0;
    for (const item of items) {
      sum += item.weight;
      this.cumulative.push(sum);
    }
    this.total = sum;
    this.state = seed >>> 0 || 1;
  }

  /** A uniform number in [0, 1) from xorshift32. */
  random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }

  pick(): T {
    const point = this.random() * this.total;
    const index = this.cumulative.findIndex((bound) => point < bound);
    return this.items[index === -1 ? this.items.length - 1 : index];
  }

  pickFrom<U>(values: readonly U[]): U {
    return values[Math.floor(this.random() * values.length)];
  }
}
