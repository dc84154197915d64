/**
 * The main command end to end, as a new user runs it: `vsearch start` (npm start)
 * on a fresh DATA_DIR with a small sample catalog, searched over HTTP and with
 * the CLI, stopped with Ctrl-C (SIGINT); then a second start that reuses the index.
 *
 * real: the CLI process, the four services in it, the bundled model on onnxruntime
 * (CPU), sharp, the embedded event log and vector store, the catalog generator.
 * fake: nothing. Every port comes from freePort() (or 0), so parallel runs never collide.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT, spawnCli, VSEARCH_CLI, waitFor, type CliProcess } from '@vsearch/testing';

const COUNT = 60;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [VSEARCH_CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** Ctrl-C, as a user stops `npm start`; SIGKILL if it has not exited after 45 s. */
const stopWithCtrlC = (cli: CliProcess) => cli.stop({ signal: 'SIGINT', graceMs: 45_000 });

describe('vsearch start (npm start)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let apiUrl: string;
  let queryApiPort: number;
  let running: CliProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'vsearch-start-e2e-'));
    queryApiPort = await freePort();
    apiUrl = `http://127.0.0.1:${queryApiPort}`;
    env = {
      DATA_DIR: dataDir,
      QUERY_API_PORT: String(queryApiPort),
      EMBEDDER_PORT: String(await freePort()),
      SEARCH_PORT: String(await freePort()),
      INGESTION_PORT: String(await freePort()),
      EMBEDDER_METRICS_PORT: '0',
      SEARCH_METRICS_PORT: '0',
      // Every product is a candidate, whatever the bundled model's score floor: this test is about plumbing, not ranking.
      TEXT_SCORE_THRESHOLD: '-1',
      LOG_LEVEL: 'warn',
    };
  });

  afterEach(async () => {
    await running?.kill();
    running = undefined;
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const readyOf = (cli: CliProcess) =>
    waitFor(
      'the stack to be ready',
      () => {
        if (cli.child.exitCode !== null) throw new Error(`vsearch start exited with ${cli.child.exitCode}:\n${cli.output()}`);
        return cli.output().includes('vsearch is ready');
      },
      240_000,
      250,
    );

  it('generates and indexes the sample catalog, answers searches over HTTP and the CLI, and stops cleanly on Ctrl-C', async () => {
    running = spawnCli(['start', '--count', String(COUNT)], { env });
    await readyOf(running);
    expect(running.output()).toContain(`generating the sample catalog (${COUNT} products`);
    expect(running.output()).toContain(`generated and published ${COUNT} catalog events`);

    const response = await fetch(`${apiUrl}/v1/search?q=${encodeURIComponent('red dress')}&limit=5`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: { productId: string; imageUrl: string }[]; model: string };
    expect(body.results.length).toBeGreaterThan(0);
    // The generated images are served by the query API itself.
    const image = await fetch(body.results[0].imageUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toMatch(/^image\//);

    // status: every service up, the collection holds the catalog.
    const status = await runCli([
      'status',
      '--json',
      '--api-url',
      apiUrl,
      '--ingestion-url',
      `http://127.0.0.1:${env.INGESTION_PORT}`,
      '--embedder-addr',
      `127.0.0.1:${env.EMBEDDER_PORT}`,
      '--search-addr',
      `127.0.0.1:${env.SEARCH_PORT}`,
    ]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { index: { products: number; generation: number; modelId: string }; model: string };
    expect(report.index.products).toBe(COUNT);
    expect(report.index.modelId).toBe(report.model);

    // search by text, as a table and as JSON.
    const table = await runCli(['search', 'red', 'dress', '--limit', '3', '--api-url', apiUrl]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/#\s+score\s+product\s+title/);
    // The summary counts every matched product (total), then the page shown.
    expect(table.stdout).toMatch(/\d+ results?, showing 1-3 in \d+ ms \(hybrid, model clip-mini@/);
    const json = await runCli(['search', 'red dress', '--json', '--in-stock', '--api-url', apiUrl]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { results: { inStock: boolean }[] }).results.every((result) => result.inStock)).toBe(true);

    // search by photo: a catalog image finds its own product first (its vector is in the index).
    const productDir = readdirSync(path.join(dataDir, 'catalog/images')).sort()[0];
    const imageFile = path.join(dataDir, 'catalog/images', productDir, readdirSync(path.join(dataDir, 'catalog/images', productDir))[0]);
    const byPhoto = await runCli(['search', '--image', imageFile, '--json', '--api-url', apiUrl]);
    expect(byPhoto.code).toBe(0);
    expect((JSON.parse(byPhoto.stdout) as { results: { productId: string }[] }).results[0].productId).toBe(productDir);
    // …and by URL: the query API fetches it (its own catalog images are allow-listed in the embedded stack).
    const imageUrl = `${apiUrl}/catalog-images/${productDir}/${path.basename(imageFile)}`;
    const byUrl = await runCli(['search', '--image', imageUrl, '--limit', '3', '--api-url', apiUrl]);
    expect(byUrl.code).toBe(0);
    expect(byUrl.stdout.split('\n')[2]).toContain(productDir);

    // index: a new product published through the embedded event log becomes searchable; an invalid line is reported.
    const [first] = readFileSync(path.join(dataDir, 'catalog/catalog.jsonl'), 'utf8').split('\n');
    const added = { ...JSON.parse(first), productId: 'e2e-added-1', title: 'E2E added product' };
    const feed = path.join(dataDir, 'feed.jsonl');
    writeFileSync(feed, `${JSON.stringify(added)}\n{"type":"product.upserted","productId":"broken"}\n`);
    const indexed = await runCli(['index', feed], { DATA_DIR: dataDir });
    expect(indexed.code).toBe(1);
    expect(indexed.stdout).toContain('1 valid events (1 upserts, 0 deletes), 1 invalid');
    expect(indexed.stdout).toMatch(/line 2: schema_violation/);
    await waitFor(
      'the added product to be indexed',
      async () => {
        const similar = await fetch(`${apiUrl}/v1/products/e2e-added-1/similar?limit=1`);
        return similar.status === 200;
      },
      60_000,
      500,
    );

    // reindex --wait: a new generation replaces the old one; the key comes from DATA_DIR/admin-api-key.
    const reindex = await runCli(['reindex', '--wait', '--poll-ms', '200', '--api-url', apiUrl], { DATA_DIR: dataDir });
    expect(reindex.stderr + reindex.stdout).toContain('done');
    expect(reindex.code).toBe(0);
    expect(reindex.stdout).toMatch(/done: \d+ products into products_v\d+ \(replaced products_v1\)/);
    // --detach only prints the job id; --job follows that job.
    const requested = await runCli(['reindex', '--detach', '--api-url', apiUrl], { DATA_DIR: dataDir });
    expect(requested.code).toBe(0);
    const jobId = /job (\S+)/.exec(requested.stdout)![1];
    const followed = await runCli(['reindex', '--job', jobId, '--poll-ms', '200', '--api-url', apiUrl], { DATA_DIR: dataDir });
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain(`reindex ${jobId} done`);
    const unknown = await runCli(['reindex', '--job', 'no-such-job', '--api-url', apiUrl], { DATA_DIR: dataDir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404');

    const code = await stopWithCtrlC(running);
    expect(running.output()).toContain('vsearch: stopped');
    expect(code).toBe(0);
    expect(await portIsFree(queryApiPort)).toBe(true);
    expect(await portIsFree(Number(env.EMBEDDER_PORT))).toBe(true);
    expect(await portIsFree(Number(env.SEARCH_PORT))).toBe(true);
    expect(await portIsFree(Number(env.INGESTION_PORT))).toBe(true);
  });

  it('reuses the catalog and the index on a second start, without publishing again', async () => {
    expect(existsSync(path.join(dataDir, 'catalog/catalog.jsonl'))).toBe(true);
    running = spawnCli(['start', '--count', String(COUNT)], { env });
    await readyOf(running);
    const output = running.output();
    expect(output).toContain('using the catalog in');
    expect(output).toContain('not publishing again');
    expect(output).toContain('the index is up to date');
    expect(output).not.toMatch(/published \d+ catalog events/);
    expect(output).not.toContain('generating the sample catalog');
    expect(output).not.toContain('rebuilding it');

    const response = await fetch(`${apiUrl}/v1/search?q=lamp&limit=3`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0);

    expect(await stopWithCtrlC(running)).toBe(0);
    expect(await portIsFree(queryApiPort)).toBe(true);
  });
});

describe('vsearch serve', () => {
  it('runs one service from the environment alone, as the chart does, and stops it on SIGTERM with exit 0', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vsearch-serve-e2e-'));
    const searchPort = await freePort();
    const serve = spawnCli(['serve', 'search'], { env: { DATA_DIR: dataDir, SEARCH_PORT: searchPort, METRICS_PORT: 0, LOG_LEVEL: 'warn' } });
    try {
      await waitFor(
        'the search service',
        () => {
          if (serve.child.exitCode !== null) throw new Error(serve.output());
          return serve.output().includes(`search started on port ${searchPort}`);
        },
        60_000,
        200,
      );
      const status = await runCli([
        'status',
        '--json',
        '--search-addr',
        `127.0.0.1:${searchPort}`,
        '--api-url',
        `http://127.0.0.1:${await freePort()}`,
        '--ingestion-url',
        `http://127.0.0.1:${await freePort()}`,
        '--embedder-addr',
        `127.0.0.1:${await freePort()}`,
        '--timeout',
        '2000',
      ]);
      expect(status.code).toBe(1);
      const report = JSON.parse(status.stdout) as { services: Record<string, { state: string }>; collections: unknown[] };
      expect(report.services.search.state).toBe('up');
      expect(report.services['query-api'].state).toBe('down');
      expect(report.collections).toEqual([]);
      expect(await serve.stop({ signal: 'SIGTERM' })).toBe(0);
      expect(await portIsFree(searchPort)).toBe(true);
    } finally {
      await serve.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('vsearch command line: usage and failures', () => {
  it('exits 2 with the usage on an unknown command, a missing argument or a bad flag value', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(unknown.stderr).toContain('Usage: vsearch');

    const missing = await runCli(['index']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'catalog'");

    const badValue = await runCli(['search', 'boots', '--limit', 'many']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('--limit must be a whole number from 1 to 100');

    const nothing = await runCli(['search']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to search for');

    const badService = await runCli(['serve', 'kafka']);
    expect(badService.code).toBe(2);
    expect(badService.stderr).toContain('unknown service "kafka"');

    const help = await runCli(['reindex', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--detach');
  });

  it('exits 1 with a clear message when the query API is down', async () => {
    const port = await freePort();
    const result = await runCli(['search', 'boots', '--api-url', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach the query API at http://127.0.0.1:${port}`);
    expect(result.stderr).toContain('npm start');

    const status = await runCli([
      'status',
      '--api-url',
      `http://127.0.0.1:${port}`,
      '--ingestion-url',
      `http://127.0.0.1:${port}`,
      '--embedder-addr',
      `127.0.0.1:${port}`,
      '--search-addr',
      `127.0.0.1:${port}`,
      '--timeout',
      '1000',
    ]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/query-api\s+down/);
    expect(status.stderr).toContain('query-api, ingestion, embedder, search are down');
  });
});
