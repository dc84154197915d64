/**
 * How long `npm start` takes until a shopper gets a first search result, on a
 * fresh DATA_DIR (the catalog is generated, published and indexed) and on a
 * second start (everything reused). Prints the figures and the command.
 *
 *   node tools/cli/bin/run-ts.js tools/cli/bench/start-time.ts [--count N] [--query TEXT] [--cold-compile-cache]
 *
 * --cold-compile-cache gives the first start an empty @swc-node/register disk
 * cache (SWC_NODE_CACHE_DIR), as on a machine that never ran this checkout; the
 * second start reuses what the first one compiled.
 *
 * Time is measured from spawning `node tools/cli/bin/vsearch.js start` (what
 * `npm start` runs) to the first `GET /v1/search?q=…` answering at least one
 * result, and to the "vsearch is ready" line (the whole catalog indexed).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EMBEDDED_STACK_READY_LINE, freePort, REPO_ROOT, spawnCli } from '@vsearch/testing';

interface Timing {
  firstResultS: number;
  readyS: number;
  products: string;
}

async function timeStart(env: Record<string, string>, count: number, query: string, apiUrl: string): Promise<Timing> {
  const started = performance.now();
  const cli = spawnCli(['start', '--count', String(count)], { env, echo: true });
  let readyS: number | undefined;
  // Timed as the line arrives, not when the loop below next looks.
  cli.child.stdout?.on('data', () => {
    if (readyS === undefined && cli.output().includes(EMBEDDED_STACK_READY_LINE)) readyS = (performance.now() - started) / 1000;
  });
  let firstResultS: number | undefined;
  while (firstResultS === undefined || readyS === undefined) {
    if (!cli.isRunning()) throw new Error(`vsearch start exited with ${cli.child.exitCode ?? cli.child.signalCode}`);
    if (firstResultS === undefined) {
      try {
        const response = await fetch(`${apiUrl}/v1/search?q=${encodeURIComponent(query)}&limit=1`, { signal: AbortSignal.timeout(5000) });
        if (response.ok && ((await response.json()) as { results: unknown[] }).results.length > 0) firstResultS = (performance.now() - started) / 1000;
      } catch {
        // not up yet
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if ((await cli.stop({ signal: 'SIGINT', graceMs: 60_000 })) !== 0) throw new Error('vsearch start did not exit 0 after SIGINT');
  return { firstResultS, readyS, products: /(\d+ products \(\d+ images\))/.exec(cli.output())?.[1] ?? '?' };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '2000' },
      query: { type: 'string', default: 'red dress' },
      'keep-data': { type: 'boolean' },
      'cold-compile-cache': { type: 'boolean' },
    },
  });
  const count = Number(values.count);
  mkdirSync(path.join(REPO_ROOT, 'tmp'), { recursive: true });
  const dataDir = mkdtempSync(path.join(REPO_ROOT, 'tmp', 'start-time-'));
  const port = await freePort();
  const compileCache: Record<string, string> = values['cold-compile-cache'] ? { SWC_NODE_CACHE_DIR: path.join(dataDir, 'swc-cache') } : {};
  const env = {
    ...compileCache,
    DATA_DIR: dataDir,
    QUERY_API_PORT: String(port),
    EMBEDDER_PORT: '0',
    SEARCH_PORT: '0',
    INGESTION_PORT: '0',
    EMBEDDER_METRICS_PORT: '0',
    SEARCH_METRICS_PORT: '0',
  };
  const apiUrl = `http://127.0.0.1:${port}`;
  const load = loadavg()[0].toFixed(1);
  try {
    const first = await timeStart(env, count, values.query, apiUrl);
    const second = await timeStart(env, count, values.query, apiUrl);
    const lines = [
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${load} at the start`,
      `catalog: ${count} products (${first.products} indexed), query "${values.query}"${values['cold-compile-cache'] ? ', first start with an empty compile cache' : ''}`,
      '',
      '| start | first search result | fully indexed |',
      '| --- | --- | --- |',
      `| first (fresh DATA_DIR) | ${first.firstResultS.toFixed(1)} s | ${first.readyS.toFixed(1)} s |`,
      `| second (index reused) | ${second.firstResultS.toFixed(1)} s | ${second.readyS.toFixed(1)} s |`,
      '',
      `command: node tools/cli/bin/run-ts.js tools/cli/bench/start-time.ts --count ${count}${values['cold-compile-cache'] ? ' --cold-compile-cache' : ''}`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    if (!values['keep-data']) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
