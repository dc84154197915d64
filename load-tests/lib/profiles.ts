/**
 * Shared load profiles for the k6 scripts: turns a scenario definition
 * (`load-tests/scenarios/*.json`, the same files the local runner reads) into
 * k6 options — a named constant-arrival-rate scenario with `exec`, and
 * thresholds on error rate, p95 and p99 that abort the run when crossed.
 * Plain TypeScript with no imports, so k6 (esbuild) and tsc both read it.
 */

export interface HttpRequestDefinition {
  kind: 'text-search' | 'photo-search' | 'similar';
  weight: number;
  queries?: string[];
  filters?: Record<string, string>[];
  imagesDir?: string;
  maxImages?: number;
  seedQueries?: string[];
}

export interface GrpcRequestDefinition {
  kind: 'embed-texts' | 'embed-images';
  weight: number;
  texts?: string[];
  batch?: number;
  priority: 'PRIORITY_INTERACTIVE' | 'PRIORITY_BULK';
}

export interface ScenarioDefinition {
  name: string;
  description: string;
  protocol: 'http' | 'grpc';
  target: { env: string; default: string };
  profile: { rate: number; duration: string; preAllocatedVUs: number; maxVUs: number };
  requests: (HttpRequestDefinition | GrpcRequestDefinition)[];
  during?: { action: 'reindex'; apiKeyEnv: string; timeout: string };
  thresholds: { errorRate: number; p95Ms: number; p99Ms: number; p95RatioToBaseline?: number };
}

export interface K6Options {
  scenarios: Record<string, Record<string, unknown>>;
  thresholds: Record<string, (string | { threshold: string; abortOnFail: boolean; delayAbortEval?: string })[]>;
  setupTimeout?: string;
}

/** k6 options for one scenario, executed by the exported function named `exec`. */
export function buildOptions(definition: ScenarioDefinition, exec: string): K6Options {
  const failedMetric = definition.protocol === 'http' ? 'http_req_failed' : 'checks';
  const durationMetric = definition.protocol === 'http' ? 'http_req_duration' : 'grpc_req_duration';
  const failedThreshold = definition.protocol === 'http' ? `rate<=${definition.thresholds.errorRate}` : `rate>=${1 - definition.thresholds.errorRate}`;
  return {
    scenarios: {
      [exec]: {
        executor: 'constant-arrival-rate',
        exec,
        rate: definition.profile.rate,
        timeUnit: '1s',
        duration: definition.profile.duration,
        preAllocatedVUs: definition.profile.preAllocatedVUs,
        maxVUs: definition.profile.maxVUs,
      },
    },
    thresholds: {
      [failedMetric]: [{ threshold: failedThreshold, abortOnFail: true, delayAbortEval: '5s' }],
      [durationMetric]: [
        { threshold: `p(95)<${definition.thresholds.p95Ms}`, abortOnFail: true, delayAbortEval: '10s' },
        { threshold: `p(99)<${definition.thresholds.p99Ms}`, abortOnFail: true, delayAbortEval: '10s' },
      ],
    },
    setupTimeout: '60s',
  };
}

/** Picks one definition by weight. */
export function pickWeighted<T extends { weight: number }>(items: T[], random: number): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let point = random * total;
  for (const item of items) {
    point -= item.weight;
    if (point < 0) return item;
  }
  return items[items.length - 1];
}

export function pickOne<T>(values: T[], random: number): T {
  return values[Math.floor(random * values.length)];
}
