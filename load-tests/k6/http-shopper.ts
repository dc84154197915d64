/**
 * Shared k6 logic for the HTTP scenarios (text search, photo search, "more
 * like this"): one request per iteration, chosen by the scenario's weights.
 */
import { check, fail } from 'k6';
import http from 'k6/http';
import { pickOne, pickWeighted, type HttpRequestDefinition, type ScenarioDefinition } from '../lib/profiles.ts';

export function baseUrl(definition: ScenarioDefinition): string {
  return __ENV[definition.target.env] || definition.target.default;
}

/** k6 `setup()`: fail fast when the stack is down; collect product ids for "similar". */
export function setupShopper(definition: ScenarioDefinition): { productIds: string[] } {
  const base = baseUrl(definition);
  const ready = http.get(`${base}/readyz`);
  if (ready.status !== 200) fail(`target ${base} is not ready: /readyz answered ${ready.status}`);
  const productIds: string[] = [];
  for (const request of definition.requests as HttpRequestDefinition[]) {
    for (const q of request.kind === 'similar' ? (request.seedQueries ?? []) : []) {
      const response = http.get(`${base}/v1/search?q=${encodeURIComponent(q)}&limit=10`);
      const body = response.json() as { results?: { productId: string }[] } | null;
      for (const hit of body?.results ?? []) productIds.push(hit.productId);
    }
  }
  return { productIds };
}

export function shopperIteration(definition: ScenarioDefinition, photos: ArrayBuffer[], data: { productIds: string[] }): void {
  const base = baseUrl(definition);
  const request = pickWeighted(definition.requests as HttpRequestDefinition[], Math.random());
  if (request.kind === 'text-search') {
    const filters = request.filters ? pickOne(request.filters, Math.random()) : {};
    const query = Object.entries({ q: pickOne(request.queries ?? ['shirt'], Math.random()), limit: '20', ...filters })
      .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
      .join('&');
    const response = http.get(`${base}/v1/search?${query}`, { tags: { name: 'text-search' } });
    check(response, { 'text search 200': (r) => r.status === 200 });
  } else if (request.kind === 'photo-search') {
    const photo = pickOne(photos, Math.random());
    const response = http.post(`${base}/v1/search/image?limit=20`, { image: http.file(photo, 'photo.jpg', 'image/jpeg') }, { tags: { name: 'photo-search' } });
    check(response, { 'photo search 200': (r) => r.status === 200 });
  } else {
    const id = pickOne(data.productIds, Math.random());
    const response = http.get(`${base}/v1/products/${encodeURIComponent(id)}/similar?limit=10`, { tags: { name: 'similar' } });
    check(response, { 'similar 200': (r) => r.status === 200 });
  }
}
