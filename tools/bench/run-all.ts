/**
 * `npm run bench`: every benchmark of the product, then the load scenarios
 * against the embedded stack, rewriting docs/benchmarks.md section by section.
 * Usage: npm run bench [-- --only model,embedder,describer,search,ingestion,load] [--runs 3]
 */
import { describeMachine, median, REPO_ROOT, startEmbeddedStack, writeBenchmarkSection } from '@vsearch/testing';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ALL_PARTS = ['model', 'embedder', 'describer', 'search', 'ingestion', 'load'] as const;
type Part = (typeof ALL_PARTS)[number];

const LOAD_SCENARIOS = ['text-search', 'photo-search', 'mixed-shopper', 'embedder-grpc', 'reindex-under-load'];

function parseArgs(argv: string[]): { parts: Part[]; runs: number; padProducts: number } {
  let parts: Part[] = [...ALL_PARTS];
  let runs = 3;
  let padProducts = 100_000;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--only') parts = argv[++i].split(',').filter((p): p is Part => (ALL_PARTS as readonly string[]).includes(p));
    else if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--pad-products') padProducts = Number(argv[++i]);
  }
  return { parts, runs, padProducts };
}

function runJson<T>(label: string, args: string[]): T | undefined {
  console.log(`\n=== bench: ${label} ===`);
  const result = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    console.error(`bench: ${label} failed with exit code ${result.status}`);
    return undefined;
  }
  const line = result.stdout.trim().split('\n').pop() ?? '';
  console.log(line);
  return JSON.parse(line) as T;
}

interface EvalFigures {
  model: string;
  seed: number;
  count: number;
  textToImage: { precisionAt10Seen: number; precisionAt10HeldOut: number; recallAt10Title: number };
  imageToImage: { recallAt10: number };
  zeroShot: { category: number; colour: number };
}

interface ThroughputFigures {
  model: string;
  intraOpThreads: number | string;
  imagesPerSecond: number;
  textsPerSecond: number;
  textsPerSecondWithTokenizer: number;
}

/** Retrieval quality of the bundled model on two evaluation catalogs, and its raw onnxruntime throughput. */
function benchModel(runs: number): boolean {
  const evals = [7, 42]
    .map((seed) =>
      runJson<EvalFigures>(`model quality, seed ${seed}`, ['tools/cli/bin/vsearch.js', 'eval', '--seed', String(seed), '--count', '1000', '--json']),
    )
    .filter((figures): figures is EvalFigures => figures !== undefined);
  const throughput: ThroughputFigures[] = [];
  for (const threads of [[], ['--threads', '1']]) {
    for (let run = 0; run < runs; run += 1) {
      const figures = runJson<ThroughputFigures>(`model throughput ${threads.join(' ') || 'default threads'} (run ${run + 1}/${runs})`, [
        'tools/cli/bin/run-ts.js',
        'training/benchmark-model.ts',
        ...threads,
      ]);
      if (figures) throughput.push(figures);
    }
  }
  const pct = (value: number) => value.toFixed(3);
  const throughputRow = (label: string, rows: ThroughputFigures[]) =>
    rows.length === 0
      ? `| ${label} | – | – | – |`
      : `| ${label} | ${median(rows.map((r) => r.imagesPerSecond)).toFixed(0)} | ${median(rows.map((r) => r.textsPerSecond)).toFixed(0)} | ${median(rows.map((r) => r.textsPerSecondWithTokenizer)).toFixed(0)} |`;
  writeBenchmarkSection(
    'model',
    [
      '## The bundled model (clip-mini)',
      '',
      'Retrieval quality on held-out evaluation catalogs (`npx vsearch eval --seed S --count 1000 --json`; floors asserted by `libs/model-tools/src/eval/evaluate-model.int-spec.ts`):',
      '',
      '| model | seed | P@10 seen (≥ 0.90) | P@10 held-out (≥ 0.75) | title R@10 | image→image R@10 | zero-shot category (≥ 0.95) | zero-shot colour (≥ 0.90) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...evals.map(
        (e) =>
          `| ${e.model} | ${e.seed} | ${pct(e.textToImage.precisionAt10Seen)} | ${pct(e.textToImage.precisionAt10HeldOut)} | ${pct(e.textToImage.recallAt10Title)} | ${pct(e.imageToImage.recallAt10)} | ${pct(e.zeroShot.category)} | ${pct(e.zeroShot.colour)} |`,
      ),
      '',
      `Raw onnxruntime-node session throughput at batch 32 on this CPU (\`node tools/cli/bin/run-ts.js training/benchmark-model.ts [--threads 1]\`, median of ${runs} runs; targets ≥ 200 images/s and ≥ 2,000 texts/s):`,
      '',
      '| intra-op threads | images/s | texts/s | texts/s with tokenizer |',
      '| --- | --- | --- | --- |',
      throughputRow(
        'onnxruntime default',
        throughput.filter((r) => r.intraOpThreads !== 1),
      ),
      throughputRow(
        '1',
        throughput.filter((r) => r.intraOpThreads === 1),
      ),
    ].join('\n'),
  );
  return evals.length === 2 && throughput.length > 0;
}

function runStep(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): boolean {
  console.log(`\n=== bench: ${label} ===`);
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) console.error(`bench: ${label} failed with exit code ${result.status}`);
  return result.status === 0;
}

interface LoadRecord {
  result: {
    requests: number;
    errors: number;
    throughput: number;
    latencyMs: { p50: number; p95: number; p99: number };
    baseline?: { latencyMs: { p95: number } };
  };
  outcomes: { name: string; passed: boolean }[];
  profile: { rate: number; duration: string };
}

async function runLoadScenarios(runs: number, padProducts: number): Promise<boolean> {
  const apiKey = 'bench-admin-key';
  // One load generator is one client: the per-client rate limiter would answer most of its
  // requests with 429, so the stack under test runs without it (capacity is what is measured).
  // Ready means the whole sample catalog is indexed, not just the API answering.
  const stack = await startEmbeddedStack({
    env: { ADMIN_API_KEYS: apiKey, LOG_LEVEL: 'warn', RATE_LIMIT_ENABLED: 'false' },
    echo: true,
    readyTimeoutMs: 15 * 60_000,
  });
  try {
    if (
      padProducts > 0 &&
      !runStep(`pad the index to ${padProducts} products`, process.execPath, [
        'tools/cli/bin/run-ts.js',
        'load-tests/runner/prepare-index.ts',
        '--products',
        String(padProducts),
      ])
    ) {
      return false;
    }
    const rows: string[] = [];
    let allPassed = true;
    for (const scenario of LOAD_SCENARIOS) {
      const records: LoadRecord[] = [];
      for (let run = 0; run < runs; run += 1) {
        const passed = runStep(
          `load ${scenario} (run ${run + 1}/${runs})`,
          process.execPath,
          ['tools/cli/bin/run-ts.js', 'load-tests/runner/run.ts', scenario],
          { VSEARCH_API_KEY: apiKey },
        );
        allPassed &&= passed;
        try {
          records.push(JSON.parse(readFileSync(path.join(REPO_ROOT, 'tmp/load-results', `${scenario}.json`), 'utf8')) as LoadRecord);
        } catch {
          // the scenario failed before writing a result; the row says so
        }
      }
      if (records.length === 0) {
        rows.push(`| ${scenario} | – | – | – | – | – | – | failed to run |`);
        continue;
      }
      const pick = (f: (r: LoadRecord) => number) => median(records.map(f));
      const ratio = records[0].result.baseline ? pick((r) => r.result.latencyMs.p95 / (r.result.baseline?.latencyMs.p95 ?? Number.NaN)).toFixed(2) : '–';
      const passedRuns = records.filter((r) => r.outcomes.every((o) => o.passed)).length;
      rows.push(
        `| ${scenario} | ${records[0].profile.rate}/s × ${records[0].profile.duration} | ${pick((r) => r.result.throughput).toFixed(1)} | ${pick((r) => r.result.latencyMs.p50).toFixed(1)} | ${pick((r) => r.result.latencyMs.p95).toFixed(1)} | ${pick((r) => r.result.latencyMs.p99).toFixed(1)} | ${pick((r) => r.result.errors / Math.max(1, r.result.requests)).toFixed(4)} | ${ratio} | ${passedRuns}/${records.length} |`,
      );
    }
    writeBenchmarkSection(
      'load',
      [
        '## Load scenarios',
        '',
        `Command: \`npm run bench -- --only load\` (or one scenario: \`npm run load -- <scenario>\` against a running \`npm start\`). Embedded stack on this machine (${describeMachine()}), index padded to ${padProducts.toLocaleString('en')} products (the generated catalog plus synthetic products with random unit vectors, \`load-tests/runner/prepare-index.ts\`). Medians of ${runs} runs. Thresholds live in \`load-tests/scenarios/*.json\`. Arrivals are open-loop at a constant rate (k6's constant-arrival-rate semantics), latency counted from each request's scheduled start; the stack runs with \`RATE_LIMIT_ENABLED=false\` (one load generator is one client). The reindex scenario runs last: a reindex replays the catalog topic (the 2,000 generated products), so the padding, which never went through the topic, is not in the new generation.`,
        '',
        '| scenario | offered load | achieved req/s | p50 ms | p95 ms | p99 ms | error rate | p95 during reindex / before | runs passing thresholds |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n'),
    );
    return allPassed;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const { parts, runs, padProducts } = parseArgs(process.argv.slice(2));
  writeBenchmarkSection(
    'machine',
    [
      `## Machine`,
      '',
      `Last run: ${new Date().toISOString().slice(0, 10)} (parts: ${parts.join(', ')}) on ${describeMachine()}; load average at start ${os.loadavg()[0].toFixed(2)}. Each section names its own command and run; a part run alone rewrites only its section.`,
      '',
      'Command: `npm run bench` (all parts) or `npm run bench -- --only model,load`.',
    ].join('\n'),
  );
  let ok = true;
  for (const part of parts) {
    if (part === 'load') ok = (await runLoadScenarios(runs, padProducts)) && ok;
    else if (part === 'model') ok = benchModel(runs) && ok;
    else ok = runStep(part, 'npm', ['run', `bench:${part}`]) && ok;
  }
  console.log(ok ? '\nbench: every part ran; see docs/benchmarks.md' : '\nbench: some parts failed; see above');
  process.exitCode = ok ? 0 : 1;
}

void main();
