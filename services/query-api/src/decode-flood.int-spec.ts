/**
 * Admission control under a decode flood (issue 16), and the path allow-list of the one-process stack.
 * real: the embedder, search and query API services (child processes from their main.ts, started by
 * the @vsearch/testing harness: bundled model on CPU, an embedded store with an empty live generation), sharp, HTTP.
 * mock: nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { freePort, startStack, type RunningStack } from '@vsearch/testing';
import { createEmptyLiveGeneration, heavyPng, percentile, runDecodeFlood } from './testing/decode-flood';

/** One decode at a time and one waiting: 12 clients are far beyond it, so most must be refused. */
const DECODE_SETTINGS = { IMAGE_DECODE_CONCURRENCY: 1, IMAGE_DECODE_QUEUE: 1 };
const REQUEST_TIMEOUT_MS = 20_000;
/**
 * Bounds on /healthz during the flood. The issue asks p99 under 100 ms on a quiet server; this test
 * runs on a 2-core machine shared with other test processes (load average near 20 when measured),
 * where decode threads and every process's event loop compete for both cores and one scheduler
 * slice alone takes tens of ms. What the design guarantees is that a probe never waits for a
 * decode: it touches no thread pool and its event-loop turn is short. So the median, which shows
 * a systematic wait, gets the tight bound, and p99, which also catches the machine's stalls, a
 * looser one that still means "nowhere near a time-out". Measured on that machine
 * (docs/benchmarks.md, Decode floods): main p50 2.4 s / p99 3.2 s (probes queue behind decodes in
 * libuv's pool), this branch p50 0.23 s / p99 0.48–1.08 s.
 */
const PROBE_P50_BOUND_MS = 1_000;
const PROBE_P99_BOUND_MS = 2_500;

let stack: RunningStack;
let catalogDir: string;
let baseUrl: string;

beforeAll(async () => {
  catalogDir = mkdtempSync(path.join(os.tmpdir(), 'vsearch-flood-'));
  mkdirSync(path.join(catalogDir, 'p1'));
  writeFileSync(
    path.join(catalogDir, 'p1', 'a.jpg'),
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c33' } })
      .jpeg()
      .toBuffer(),
  );
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  stack = await startStack({
    services: ['embedder', 'search', 'query-api'],
    ports: { 'query-api': { port } },
    serviceEnv: {
      'query-api': {
        ...DECODE_SETTINGS,
        HTTP_REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS,
        HTTP_HEADERS_TIMEOUT_MS: 5_000,
        CATALOG_IMAGES_DIR: catalogDir,
        // As `vsearch start` wires it: only the query API's own /catalog-images/ is fetchable on its address.
        IMAGE_FETCH_ALLOW_HOSTS: `${baseUrl}/catalog-images/`,
        RATE_LIMIT_BURST: 100_000,
        RATE_LIMIT_PER_SECOND: 100_000,
        LOG_LEVEL: 'error',
      },
    },
  });
  await createEmptyLiveGeneration(stack.addresses);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(catalogDir, { recursive: true, force: true });
});

describe('decode admission under a flood of heavy photos', () => {
  it('refuses the excess at once with 503 and Retry-After, answers the rest, and /healthz stays fast', async () => {
    const image = await heavyPng(4000);
    const result = await runDecodeFlood({ baseUrl, clients: 12, durationMs: 12_000, probeEveryMs: 50, requestDeadlineMs: 2 * REQUEST_TIMEOUT_MS, image });

    // Admitted photos go on to the embedder and search (an empty generation here, so those answer 200 with no
    // results); what matters is that they got past the gate and answered.
    const { '503 overloaded': refused = 0, hung = 0, error = 0, ...decoded } = result.uploads;
    expect({ hung, error, probeFailures: result.probeFailures }).toEqual({ hung: 0, error: 0, probeFailures: 0 });
    expect(refused).toBeGreaterThan(0);
    expect(Object.values(decoded).reduce((total, answers) => total + answers, 0)).toBeGreaterThan(0);
    expect(Object.keys(decoded).filter((answer) => answer.startsWith('500'))).toEqual([]);
    expect(result.retryAfterSeconds.every((seconds) => Number.isInteger(seconds) && seconds >= 1 && seconds <= 30)).toBe(true);
    expect(result.probeMs.length).toBeGreaterThan(20);
    expect(percentile(result.probeMs, 50)).toBeLessThan(PROBE_P50_BOUND_MS);
    expect(percentile(result.probeMs, 99)).toBeLessThan(PROBE_P99_BOUND_MS);
  }, 120_000);
});

describe('the image-fetch allow-list by path (one-process stack)', () => {
  const searchByUrl = (imageUrl: string) =>
    fetch(`${baseUrl}/v1/search/image`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ imageUrl }) });

  it.each(['/metrics', '/healthz', '/v1/search?q=red', '/catalog-images/../metrics'])('refuses the query API’s own %s like any loopback URL', async (route) => {
    const response = await searchByUrl(`${baseUrl}${route}`);
    const body = (await response.json()) as { error: { code: string } };
    expect({ status: response.status, code: body.error.code }).toEqual({ status: 400, code: 'image_url_refused' });
  });

  it('fetches a catalog image from the same address', async () => {
    const response = await searchByUrl(`${baseUrl}/catalog-images/p1/a.jpg`);
    const body = (await response.json()) as { error?: { code: string } };
    // Fetched, decoded and searched (an empty generation: no results); never a refused or failed fetch.
    expect({ status: response.status, error: body.error }).toEqual({ status: 200, error: undefined });
  });
});
