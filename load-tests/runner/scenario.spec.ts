import type { ScenarioDefinition } from '../lib/profiles';
import { buildOptions } from '../lib/profiles';
import { listScenarioNames, loadScenario, parseDurationMs, resolveTarget, type Scenario } from './scenario';
import { evaluateThresholds, type LoadResult } from './thresholds';

// The k6 scripts read the same JSON through lib/profiles.ts's interface: keep the two in step.
const _k6Compatible: (scenario: Scenario) => ScenarioDefinition = (scenario) => scenario;

describe(loadScenario.name, () => {
  it('loads and validates every committed scenario', () => {
    const names = listScenarioNames();
    expect(names).toEqual(expect.arrayContaining(['text-search', 'photo-search', 'mixed-shopper', 'embedder-grpc', 'reindex-under-load']));
    for (const name of names) expect(loadScenario(name).name).toBe(name);
  });

  it('gives mixed shopper traffic the 70/20/10 mix', () => {
    const scenario = loadScenario('mixed-shopper');
    expect(scenario.requests.map((request) => [request.kind, request.weight])).toEqual([
      ['text-search', 70],
      ['photo-search', 20],
      ['similar', 10],
    ]);
  });

  it('names the known scenarios when one is missing', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(/known scenarios: .*text-search/);
  });

  it('resolves the target from the environment, else the default', () => {
    const scenario = loadScenario('text-search');
    expect(resolveTarget(scenario, {})).toBe('http://127.0.0.1:8080');
    expect(resolveTarget(scenario, { VSEARCH_API_URL: 'http://cluster:80' })).toBe('http://cluster:80');
  });
});

describe(parseDurationMs.name, () => {
  it('reads k6 durations', () => {
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(() => parseDurationMs('soon')).toThrow();
  });
});

describe(buildOptions.name, () => {
  it('builds a named constant-arrival-rate scenario with aborting thresholds', () => {
    const options = buildOptions(loadScenario('text-search'), 'textSearch');
    expect(options.scenarios.textSearch).toMatchObject({ executor: 'constant-arrival-rate', exec: 'textSearch', rate: 50, duration: '30s' });
    expect(JSON.stringify(options.thresholds.http_req_duration)).toContain('p(95)<50');
    expect(JSON.stringify(options.thresholds.http_req_failed)).toContain('abortOnFail');
  });
});

describe(evaluateThresholds.name, () => {
  const result = (overrides: Partial<LoadResult>): LoadResult => ({
    scenario: 's',
    target: 't',
    durationMs: 1000,
    requests: 100,
    errors: 0,
    throughput: 100,
    latencyMs: { p50: 5, p95: 20, p99: 40, max: 50 },
    errorsByReason: {},
    ...overrides,
  });
  const scenario = { thresholds: { errorRate: 0.01, p95Ms: 30, p99Ms: 60 } };

  it('passes when every figure is within its limit', () => {
    expect(evaluateThresholds(scenario, result({})).every((outcome) => outcome.passed)).toBe(true);
  });

  it('fails on errors, p95, p99, and on a run with no requests at all', () => {
    const failed = (r: LoadResult) =>
      evaluateThresholds(scenario, r)
        .filter((o) => !o.passed)
        .map((o) => o.name);
    expect(failed(result({ errors: 2 }))).toEqual(['error rate']);
    expect(failed(result({ latencyMs: { p50: 5, p95: 31, p99: 40, max: 50 } }))).toEqual(['p95 ms']);
    expect(failed(result({ latencyMs: { p50: 5, p95: 20, p99: 61, max: 70 } }))).toEqual(['p99 ms']);
    expect(failed(result({ requests: 0 }))).toContain('error rate');
  });

  it('compares p95 during a background action with the baseline and requires the action to finish', () => {
    const withRatio = { thresholds: { ...scenario.thresholds, p95RatioToBaseline: 2 } };
    const baseline = result({ latencyMs: { p50: 3, p95: 10, p99: 20, max: 20 } });
    const action = { name: 'reindex', completed: true, durationMs: 5000, detail: 'done' };
    expect(evaluateThresholds(withRatio, result({ baseline, action })).every((o) => o.passed)).toBe(true);
    const slow = result({ baseline, action, latencyMs: { p50: 5, p95: 25, p99: 40, max: 50 } });
    expect(evaluateThresholds(withRatio, slow).find((o) => o.name === 'p95 / baseline p95')?.passed).toBe(false);
    const unfinished = result({ baseline, action: { ...action, completed: false } });
    expect(evaluateThresholds(withRatio, unfinished).find((o) => o.name === 'reindex completed')?.passed).toBe(false);
  });
});
