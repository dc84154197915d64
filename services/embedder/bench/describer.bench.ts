/**
 * `npm run bench:describer`: the describer served by the real embedder process (its main.ts, as
 * its image runs it) over gRPC, with step-level batching on (DESCRIBER_MAX_ROWS=64) and off
 * (DESCRIBER_MAX_ROWS=1, one sequence at a time):
 *
 * - descriptions/s and tokens/s with 1, 8 and 64 concurrent callers, each describing one image
 *   per call on the bulk lane, back to back, for --seconds;
 * - p50/p95 of one interactive Ask at a time while 8 bulk callers keep describing;
 * - peak RSS of the service (VmHWM) after the run of each setting.
 *
 * Medians over --runs runs. Writes the `describer` section of docs/benchmarks.md (unless --no-write).
 * Usage: npm run bench:describer -- [--runs 3] [--seconds 4] [--model-dir DIR] [--no-write]
 *
 * The callers run on the same machine as the service and take CPU from it: on a small, shared
 * machine the figures are a floor of what a separate client would see.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescriberClient } from '@vsearch/grpc-clients';
import { BUNDLED_DESCRIBER_DIR } from '@vsearch/model';
import { describeMachine, median, randomPixels, startService, writeBenchmarkSection, type RunningService } from '@vsearch/testing';

interface Options {
  runs: number;
  seconds: number;
  modelDir: string;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 3, seconds: 4, modelDir: BUNDLED_DESCRIBER_DIR, write: true };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    if (argv[i] === '--runs') options.runs = Number(next());
    else if (argv[i] === '--seconds') options.seconds = Number(next());
    else if (argv[i] === '--model-dir') options.modelDir = path.resolve(next());
    else if (argv[i] === '--no-write') options.write = false;
    else throw new Error(`unknown argument ${argv[i]} (see the usage at the top of describer.bench.ts)`);
  }
  if (!(options.runs > 0) || !(options.seconds > 0)) throw new Error('--runs and --seconds must be positive numbers');
  return options;
}

const CONCURRENCY = [1, 8, 64];
const SETTINGS = [
  { name: 'step batching on', maxRows: '64' },
  { name: 'step batching off', maxRows: '1' },
] as const;

interface Throughput {
  descriptionsPerSecond: number;
  tokensPerSecond: number;
}

interface SettingFigures {
  throughput: Record<number, Throughput[]>;
  askP50Ms: number[];
  askP95Ms: number[];
  bulkWhileAsking: number[];
  peakRssMiB: number[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** `callers` loops describing one image per call until `until`; descriptions and tokens done. */
async function describeLoop(client: DescriberClient, images: Uint8Array[], callers: number, until: number): Promise<{ descriptions: number; tokens: number }> {
  let descriptions = 0;
  let tokens = 0;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = caller; performance.now() < until; i += callers) {
        const result = await client.describe([images[i % images.length]], { priority: 'bulk' });
        descriptions += 1;
        tokens += result.descriptions[0].tokenIds.length;
      }
    }),
  );
  return { descriptions, tokens };
}

async function measureSetting(options: Options, setting: (typeof SETTINGS)[number], figures: SettingFigures): Promise<void> {
  const service: RunningService = await startService('embedder', {
    env: { DESCRIBER_MODEL_DIR: options.modelDir, DESCRIBER_MAX_ROWS: setting.maxRows, DESCRIBER_MAX_QUEUE: '1024', INFERENCE_WORKERS: '1', LOG_LEVEL: 'warn' },
  });
  const client = new DescriberClient({ address: service.address, defaultDeadlineMs: 600_000 });
  try {
    const { imageSize } = await client.info();
    const images = Array.from({ length: 64 }, (_, i) => randomPixels(imageSize, i + 1));
    await describeLoop(client, images, 4, performance.now() + 1000);
    for (const callers of CONCURRENCY) {
      const started = performance.now();
      const done = await describeLoop(client, images, callers, started + options.seconds * 1000);
      const seconds = (performance.now() - started) / 1000;
      (figures.throughput[callers] ??= []).push({ descriptionsPerSecond: done.descriptions / seconds, tokensPerSecond: done.tokens / seconds });
    }
    // One shopper's question at a time while indexing keeps the bulk lane busy.
    const until = performance.now() + options.seconds * 1000;
    const latencies: number[] = [];
    const bulk = describeLoop(client, images, 8, until);
    const questions = ['what colour is this product?', 'is it striped?', 'what is this?'];
    for (let i = 0; performance.now() < until; i++) {
      const started = performance.now();
      await client.ask(images[i % images.length], questions[i % questions.length], { priority: 'interactive' });
      latencies.push(performance.now() - started);
    }
    const bulkDone = await bulk;
    figures.askP50Ms.push(percentile(latencies, 50));
    figures.askP95Ms.push(percentile(latencies, 95));
    figures.bulkWhileAsking.push(bulkDone.descriptions / options.seconds);
    figures.peakRssMiB.push(peakRssMiB(service.pid));
  } finally {
    client.close();
    await service.stop();
  }
}

function report(options: Options, results: Map<string, SettingFigures>, loadAverages: [number, number]): string {
  const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  const lines = [
    '## Describer (step-level batching)',
    '',
    `Machine: ${describeMachine()}. Medians of ${options.runs} runs of ${options.seconds} s each. Model: \`${path.relative(process.cwd(), options.modelDir) || options.modelDir}\`.`,
    'Command: `npm run bench:describer -- --runs ' + options.runs + ' --seconds ' + options.seconds + '`.',
    `Load average (1 min) ${loadAverages[0].toFixed(1)} at the start, ${loadAverages[1].toFixed(1)} at the end: on a machine shared with other work the figures are noisy; compare the two settings of one run, not runs of different days.`,
    'Callers and service share the machine. Each description is one call of one image on the bulk lane; "off" decodes one sequence at a time (DESCRIBER_MAX_ROWS=1), "on" lets up to 64 rows share each step.',
    '',
    '| setting | callers | descriptions/s | tokens/s |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [name, figures] of results) {
    for (const callers of CONCURRENCY) {
      const runs = figures.throughput[callers] ?? [];
      lines.push(
        `| ${name} | ${callers} | ${fixed(median(runs.map((r) => r.descriptionsPerSecond)))} | ${fixed(median(runs.map((r) => r.tokensPerSecond)))} |`,
      );
    }
  }
  lines.push(
    '',
    '| setting | interactive Ask p50 (ms) | p95 (ms) | bulk descriptions/s meanwhile (8 callers) | peak RSS (MiB) |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const [name, figures] of results) {
    lines.push(
      `| ${name} | ${fixed(median(figures.askP50Ms), 0)} | ${fixed(median(figures.askP95Ms), 0)} | ${fixed(median(figures.bulkWhileAsking))} | ${fixed(median(figures.peakRssMiB), 0)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const loadAtStart = os.loadavg()[0];
  const results = new Map<string, SettingFigures>();
  for (let run = 0; run < options.runs; run++) {
    for (const setting of SETTINGS) {
      const figures = results.get(setting.name) ?? { throughput: {}, askP50Ms: [], askP95Ms: [], bulkWhileAsking: [], peakRssMiB: [] };
      results.set(setting.name, figures);
      process.stderr.write(`run ${run + 1}/${options.runs}: ${setting.name}\n`);
      await measureSetting(options, setting, figures);
    }
  }
  const markdown = report(options, results, [loadAtStart, os.loadavg()[0]]);
  process.stdout.write(`${markdown}\n`);
  if (options.write) writeBenchmarkSection('describer', markdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
