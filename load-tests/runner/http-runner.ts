/**
 * Runs an HTTP scenario open-loop at the scenario's constant arrival rate
 * (open-loop.ts) on node:http keep-alive connections (at most maxVUs in
 * flight), recording every latency from its scheduled start into an HDR histogram.
 */
import http from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LatencyRecorder, WeightedPicker } from './latency';
import { runOpenLoop } from './open-loop';
import { parseDurationMs, type HttpRequestDefinition, type HttpScenario } from './scenario';
import type { LoadResult } from './thresholds';

const REPO_ROOT = path.resolve(__dirname, '../..');

interface PreparedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

type RequestFactory = () => PreparedRequest;

export interface HttpRunOptions {
  /** Overrides the profile's duration (the reindex scenario runs until its action ends). */
  durationMs?: number;
  /** Stops the run early when it resolves (after at least `minDurationMs`). */
  stopWhen?: Promise<unknown>;
  minDurationMs?: number;
  label?: string;
}

/** Fails fast, like a k6 `setup()`, when the target is not ready. */
export async function assertHttpTargetReady(target: string): Promise<void> {
  try {
    const response = await fetch(new URL('/readyz', target), { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`/readyz answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  } catch (error) {
    throw new Error(`target ${target} is not ready: ${(error as Error).message}`);
  }
}

export async function prepareRequestFactories(scenario: HttpScenario, target: string): Promise<WeightedPicker<{ weight: number; make: RequestFactory }>> {
  const picker = new WeightedPicker<{ weight: number; make: RequestFactory }>([]);
  const factories: { weight: number; make: RequestFactory }[] = [];
  for (const definition of scenario.requests) factories.push({ weight: definition.weight, make: await factoryFor(definition, target, picker) });
  return new WeightedPicker(factories, 7);
}

async function factoryFor(definition: HttpRequestDefinition, target: string, random: WeightedPicker<{ weight: number }>): Promise<RequestFactory> {
  switch (definition.kind) {
    case 'text-search':
      return () => {
        const query = new URLSearchParams({ q: random.pickFrom(definition.queries), limit: '20' });
        for (const [key, value] of Object.entries(definition.filters ? random.pickFrom(definition.filters) : {})) query.set(key, value);
        return { method: 'GET', path: `/v1/search?${query}` };
      };
    case 'photo-search': {
      const uploads = loadImages(path.resolve(REPO_ROOT, definition.imagesDir), definition.maxImages).map(multipartUpload);
      return () => {
        const upload = random.pickFrom(uploads);
        return { method: 'POST', path: '/v1/search/image?limit=20', headers: { 'content-type': upload.contentType }, body: upload.body };
      };
    }
    case 'similar': {
      const ids = await collectProductIds(target, definition.seedQueries);
      return () => ({ method: 'GET', path: `/v1/products/${encodeURIComponent(random.pickFrom(ids))}/similar?limit=10` });
    }
  }
}

function loadImages(dir: string, max: number): { name: string; bytes: Buffer }[] {
  const files: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current).sort()) {
      if (files.length >= max) return;
      const full = path.join(current, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(jpe?g|png|webp)$/i.test(entry)) files.push(full);
    }
  };
  try {
    walk(dir);
  } catch (error) {
    throw new Error(`cannot read images for photo search from ${dir}: ${(error as Error).message} (run \`npm start\` once, or \`npx vsearch generate\`)`);
  }
  if (files.length === 0) throw new Error(`no JPEG, PNG or WebP files under ${dir}`);
  return files.map((file) => ({ name: path.basename(file), bytes: readFileSync(file) }));
}

function multipartUpload(image: { name: string; bytes: Buffer }): { contentType: string; body: Buffer } {
  const boundary = `----vsearch-load-${image.name.replace(/[^A-Za-z0-9]/g, '')}`;
  const type = /\.png$/i.test(image.name) ? 'image/png' : /\.webp$/i.test(image.name) ? 'image/webp' : 'image/jpeg';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${image.name}"\r\nContent-Type: ${type}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat([head, image.bytes, tail]) };
}

async function collectProductIds(target: string, queries: string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const q of queries) {
    const response = await fetch(new URL(`/v1/search?${new URLSearchParams({ q, limit: '10' })}`, target));
    if (!response.ok) throw new Error(`setup search "${q}" answered ${response.status}`);
    const body = (await response.json()) as { results?: { productId: string }[] };
    for (const hit of body.results ?? []) ids.add(hit.productId);
  }
  if (ids.size === 0) throw new Error('setup found no products for "similar" requests: is the catalog indexed?');
  return [...ids];
}

export async function runHttpLoad(scenario: HttpScenario, target: string, options: HttpRunOptions = {}): Promise<LoadResult> {
  const requests = await prepareRequestFactories(scenario, target);
  const recorder = new LatencyRecorder();
  const agent = new http.Agent({ keepAlive: true, maxSockets: scenario.profile.maxVUs });
  const base = new URL(target);
  let stopRequested = false;
  const started = performance.now();
  if (options.stopWhen) {
    void options.stopWhen.finally(() => {
      const wait = Math.max(0, (options.minDurationMs ?? 0) - (performance.now() - started));
      setTimeout(() => (stopRequested = true), wait);
    });
  }
  // Open loop rather than autocannon's overallRate, which hands each connection a
  // budget per second that it spends in a burst at the start of the second: that measures bursts.
  const { elapsedMs } = await runOpenLoop({
    rate: scenario.profile.rate,
    durationMs: options.durationMs ?? parseDurationMs(scenario.profile.duration),
    maxInFlight: scenario.profile.maxVUs,
    shouldStop: () => stopRequested,
    dropped: () => recorder.recordFailure('dropped: maxVUs in flight'),
    send: (arrival) =>
      sendRequest(agent, base, requests.pick().make()).then(
        (status) =>
          status >= 200 && status < 300 ? recorder.recordSuccess(arrival.latencyMs()) : recorder.recordFailure(`http ${status}`, arrival.latencyMs()),
        (error: NodeJS.ErrnoException) => recorder.recordFailure(`error ${error.code ?? error.message}`, arrival.latencyMs()),
      ),
  });
  agent.destroy();
  return recorder.result(scenario.name, target, elapsedMs);
}

/** One request on a keep-alive connection; resolves with the status once the body is read. */
function sendRequest(agent: http.Agent, base: URL, request: PreparedRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: base.hostname,
        port: base.port || 80,
        path: request.path,
        method: request.method,
        headers: { ...request.headers, ...(request.body ? { 'content-length': String(request.body.length) } : {}) },
        agent,
        timeout: 10_000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
