/**
 * k6: the reindex-under-load scenario (load-tests/scenarios/reindex-under-load.json):
 * text search at a constant rate while `setup()` starts a reindex through the
 * admin API; a second scenario polls the job until the alias swap.
 * Run: VSEARCH_API_KEY=... k6 run load-tests/k6/reindex-under-load.ts
 */
import { check, fail, sleep } from 'k6';
import http from 'k6/http';
import { buildOptions, type ScenarioDefinition } from '../lib/profiles.ts';
import { baseUrl, shopperIteration } from './http-shopper.ts';

const definition = JSON.parse(open('../scenarios/reindex-under-load.json')) as ScenarioDefinition;
const base = baseUrl(definition);
const built = buildOptions(definition, 'shopper');

export const options = {
  ...built,
  scenarios: {
    ...built.scenarios,
    watchReindex: { executor: 'shared-iterations', exec: 'watchReindex', vus: 1, iterations: 1, maxDuration: definition.during?.timeout ?? '600s' },
  },
  thresholds: { ...built.thresholds, 'checks{check:reindex done}': ['rate==1'] },
};

export function setup(): { jobId: string; productIds: string[] } {
  const apiKey = __ENV[definition.during?.apiKeyEnv ?? 'VSEARCH_API_KEY'];
  if (!apiKey) fail('set VSEARCH_API_KEY to an admin API key');
  if (http.get(`${base}/readyz`).status !== 200) fail(`target ${base} is not ready`);
  const response = http.post(`${base}/v1/admin/reindex`, '{}', { headers: { 'x-api-key': apiKey as string, 'content-type': 'application/json' } });
  if (response.status !== 202) fail(`reindex request answered ${response.status}`);
  return { jobId: (response.json() as { jobId: string }).jobId, productIds: [] };
}

export function shopper(data: { productIds: string[] }) {
  shopperIteration(definition, [], data);
}

export function watchReindex(data: { jobId: string }) {
  const apiKey = __ENV[definition.during?.apiKeyEnv ?? 'VSEARCH_API_KEY'] as string;
  for (;;) {
    const job = http.get(`${base}/v1/admin/reindex/${data.jobId}`, { headers: { 'x-api-key': apiKey } }).json() as { state?: string } | null;
    if (job?.state === 'done' || job?.state === 'failed') {
      check(job, { 'reindex done': (j) => j?.state === 'done' });
      return;
    }
    sleep(1);
  }
}
