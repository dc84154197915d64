/** Threshold checks, k6-style: a scenario fails (non-zero exit) when any threshold is crossed. */
import type { Scenario } from './scenario';

export interface LoadResult {
  scenario: string;
  target: string;
  durationMs: number;
  requests: number;
  errors: number;
  /** Requests per second actually completed. */
  throughput: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Failures by reason (HTTP status or error code), for the report. */
  errorsByReason: Record<string, number>;
  /** Same load measured just before the background action (reindex scenario). */
  baseline?: Omit<LoadResult, 'baseline' | 'action'>;
  action?: { name: string; completed: boolean; durationMs: number; detail: string };
}

export interface ThresholdOutcome {
  name: string;
  limit: number;
  actual: number;
  passed: boolean;
}

export function evaluateThresholds(scenario: Pick<Scenario, 'thresholds'>, result: LoadResult): ThresholdOutcome[] {
  const { thresholds } = scenario;
  const errorRate = result.requests === 0 ? 1 : result.errors / result.requests;
  const outcomes: ThresholdOutcome[] = [
    { name: 'error rate', limit: thresholds.errorRate, actual: errorRate, passed: errorRate <= thresholds.errorRate && result.requests > 0 },
    { name: 'p95 ms', limit: thresholds.p95Ms, actual: result.latencyMs.p95, passed: result.latencyMs.p95 <= thresholds.p95Ms },
    { name: 'p99 ms', limit: thresholds.p99Ms, actual: result.latencyMs.p99, passed: result.latencyMs.p99 <= thresholds.p99Ms },
  ];
  if (thresholds.p95RatioToBaseline !== undefined) {
    const baselineP95 = result.baseline?.latencyMs.p95;
    const ratio = baselineP95 ? result.latencyMs.p95 / baselineP95 : Number.POSITIVE_INFINITY;
    outcomes.push({ name: 'p95 / baseline p95', limit: thresholds.p95RatioToBaseline, actual: ratio, passed: ratio <= thresholds.p95RatioToBaseline });
    if (result.action) {
      outcomes.push({ name: `${result.action.name} completed`, limit: 1, actual: result.action.completed ? 1 : 0, passed: result.action.completed });
    }
  }
  return outcomes;
}

export function formatOutcomes(result: LoadResult, outcomes: ThresholdOutcome[]): string {
  const lines = [
    `scenario ${result.scenario} against ${result.target}`,
    `  requests ${result.requests} in ${(result.durationMs / 1000).toFixed(1)} s (${result.throughput.toFixed(1)}/s), errors ${result.errors}` +
      (Object.keys(result.errorsByReason).length ? ` ${JSON.stringify(result.errorsByReason)}` : ''),
    `  latency ms: p50 ${result.latencyMs.p50.toFixed(1)}  p95 ${result.latencyMs.p95.toFixed(1)}  p99 ${result.latencyMs.p99.toFixed(1)}  max ${result.latencyMs.max.toFixed(1)}`,
  ];
  if (result.baseline) {
    lines.push(
      `  baseline before the action: p95 ${result.baseline.latencyMs.p95.toFixed(1)} ms, errors ${result.baseline.errors}/${result.baseline.requests}`,
    );
  }
  if (result.action) lines.push(`  ${result.action.name}: ${result.action.detail} (${(result.action.durationMs / 1000).toFixed(1)} s)`);
  for (const outcome of outcomes) {
    const mark = outcome.passed ? 'ok  ' : 'FAIL';
    lines.push(`  ${mark} ${outcome.name}: ${formatNumber(outcome.actual)} (limit ${formatNumber(outcome.limit)})`);
  }
  return lines.join('\n');
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? (Number.isInteger(value) ? String(value) : value.toFixed(3)) : String(value);
}
