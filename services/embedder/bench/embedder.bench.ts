/**
 * `npm run bench:embedder`: the embedder's pool of inference workers over gRPC against this
 * machine's ceiling, measured in the same run.
 *
 * - raw ceiling: ModelRuntime in this process with W workers per tower × T intra-op threads
 *   (W, T in {1, cores}), W callers back to back at batch sizes 1, 8 and 32; the best cell is the
 *   ceiling, and one caller at batch 1 gives the raw single-query latency per thread count;
 * - gRPC: the real service (child process, `services/embedder/src/main.ts` as its image runs it),
 *   one item per call from 1, 8 and 32 concurrent callers, per served configuration: before (one
 *   single-thread worker per tower, what `npm start` ran), one worker with a thread per core
 *   (the best c=1 setting before the pool), auto without the latency worker (LATENCY_WORKER_THREADS=0),
 *   and auto (INFERENCE_WORKERS, INTRA_OP_THREADS and LATENCY_WORKER_THREADS
 *   unset); CPU of the service per item from /proc;
 * - interactive latency: one text query at a time while bulk callers in another process (at nice
 *   10, as if on other machines) keep the bulk lane full, per configuration;
 * - RSS of the service after warm-up (VmRSS), so the memory of each added worker shows.
 *
 * Medians over --runs runs. Writes the `embedder` section of docs/benchmarks.md (unless --no-write).
 * Usage: npm run bench:embedder -- [--runs 3] [--seconds 3] [--max-batch 32] [--max-wait-ms 5]
 *        [--model-dir DIR] [--no-write] [--configs before,one-worker,auto-without-latency-worker,auto]
 * (`--configs` measures only those served configurations, to rerun one a busy spell disturbed; with --no-write)
 *
 * The load generator runs on the same machine as the service, so with few cores the callers take
 * CPU from the service: the ratio to the raw ceiling is a floor of what a separate client would see.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { EmbedderClient, type EmbedPriority } from '@vsearch/grpc-clients';
import { availableCores, BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import { toNormalizedChw } from '@vsearch/preprocessing';
import { describeMachine, median, REPO_ROOT, startService, writeBenchmarkSection, type RunningService } from '@vsearch/testing';

interface Options {
  runs: number;
  seconds: number;
  maxBatch: number;
  maxWaitMs: number;
  modelDir: string;
  write: boolean;
  /** Keys of the served configurations to measure (`--configs`); all when unset. */
  configs: string[] | undefined;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 3, seconds: 3, maxBatch: 32, maxWaitMs: 5, modelDir: BUNDLED_MODEL_DIR, write: true, configs: undefined };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    if (argv[i] === '--runs') options.runs = Number(next());
    else if (argv[i] === '--seconds') options.seconds = Number(next());
    else if (argv[i] === '--max-batch') options.maxBatch = Number(next());
    else if (argv[i] === '--max-wait-ms') options.maxWaitMs = Number(next());
    else if (argv[i] === '--model-dir') options.modelDir = path.resolve(next());
    else if (argv[i] === '--no-write') options.write = false;
    else if (argv[i] === '--configs') options.configs = next().split(',');
    else throw new Error(`unknown argument ${argv[i]} (see the usage at the top of embedder.bench.ts)`);
  }
  const unknown = options.configs?.filter((key) => !SERVED.some((config) => config.key === key));
  if (unknown?.length) throw new Error(`--configs: unknown ${unknown.join(', ')} (known: ${SERVED.map((config) => config.key).join(', ')})`);
  // The section of docs/benchmarks.md compares the configurations with each other: only a full run writes it.
  if (options.configs && options.write) throw new Error('--configs measures only some configurations: add --no-write');
  for (const [name, value] of Object.entries({ runs: options.runs, seconds: options.seconds, maxBatch: options.maxBatch })) {
    if (!(value > 0)) throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive number, got ${value}`);
  }
  return options;
}

type Tower = 'image' | 'text';
const TOWERS: Tower[] = ['image', 'text'];
const CONCURRENCY = [1, 8, 32];
const RAW_BATCHES = [1, 8, 32];
const CORES = availableCores();
/** Workers × threads of the raw grid: one and every core on each axis. */
const GRID = [...new Set([1, CORES])].flatMap((workers) => [...new Set([1, CORES])].map((threads) => ({ workers, threads })));
const gridKey = (cell: { workers: number; threads: number }) => `${cell.workers}×${cell.threads}`;

const COLOURS = ['red', 'blue', 'green', 'black', 'white', 'navy', 'beige', 'grey', 'orange', 'purple'];
const THINGS = ['striped t-shirt', 'leather ankle boots', 'ceramic mug', 'floral dress', 'wool cap', 'desk lamp', 'denim jeans', 'canvas backpack'];
const caption = (i: number) => `a ${COLOURS[i % COLOURS.length]} ${THINGS[(i * 7) % THINGS.length]} for ${i % 2 ? 'men' : 'women'}`;

function pixelsFor(size: number, seed: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 3);
  let state = (seed + 1) * 2654435761;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = state >>> 24;
  }
  return pixels;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface RawRun {
  /** Items/s per tower, grid cell and batch size, with as many callers as the cell has workers. */
  throughput: Record<Tower, Record<string, Record<number, number>>>;
  /** ms of one item at batch 1, one caller, per tower and thread count. */
  latencyMs: Record<Tower, Record<number, number>>;
}

/** The raw ceiling: the model in this process, no transport, every workers × threads cell of GRID. */
async function measureRaw(options: Options): Promise<RawRun> {
  const result: RawRun = { throughput: { image: {}, text: {} }, latencyMs: { image: {}, text: {} } };
  for (const cell of GRID) {
    const runtime = await ModelRuntime.load(options.modelDir, {
      executionProviders: ['cpu'],
      intraOpThreads: cell.threads,
      intraOpSpinning: false,
      inferenceThread: 'worker',
      inferenceWorkers: cell.workers,
    });
    try {
      await runtime.warmUp(Math.max(...RAW_BATCHES));
      const { imageSize: size, mean, std } = runtime.info();
      const plane = 3 * size * size;
      for (const batch of RAW_BATCHES) {
        const chw = new Float32Array(batch * plane);
        for (let i = 0; i < batch; i++) toNormalizedChw(pixelsFor(size, i), size, mean, std, chw, i * plane);
        const tokens = runtime.tokenize(Array.from({ length: batch }, (_, i) => caption(i)));
        const run: Record<Tower, () => Promise<unknown>> = {
          image: () => runtime.embedImageBatch(chw, batch),
          text: () => runtime.embedTextBatch(tokens.inputIds, tokens.attentionMask, batch),
        };
        for (const tower of TOWERS) {
          let items = 0;
          const started = performance.now();
          const until = started + options.seconds * 1000;
          await Promise.all(
            Array.from({ length: cell.workers }, async () => {
              while (performance.now() < until) {
                await run[tower]();
                items += batch;
              }
            }),
          );
          (result.throughput[tower][gridKey(cell)] ??= {})[batch] = items / ((performance.now() - started) / 1000);
          if (batch === 1 && cell.workers === 1) {
            const latencies: number[] = [];
            const latencyUntil = performance.now() + (options.seconds * 1000) / 2;
            while (performance.now() < latencyUntil) {
              const one = performance.now();
              await run[tower]();
              latencies.push(performance.now() - one);
            }
            result.latencyMs[tower][cell.threads] = median(latencies);
          }
        }
      }
    } finally {
      await runtime.close();
    }
  }
  return result;
}

/** The best cell of a raw run for one tower: the ceiling. */
/** The best cell of the raw grid, over every batch size or at `onlyBatch`. */
function bestRaw(throughput: Record<string, Record<number, number>>, onlyBatch?: number): { cell: string; batch: number; perSecond: number } {
  let best = { cell: '', batch: 0, perSecond: 0 };
  for (const [cell, byBatch] of Object.entries(throughput)) {
    for (const [batch, perSecond] of Object.entries(byBatch)) {
      if (onlyBatch !== undefined && Number(batch) !== onlyBatch) continue;
      if (perSecond > best.perSecond) best = { cell, batch: Number(batch), perSecond };
    }
  }
  return best;
}

interface RunningEmbedder {
  service: RunningService;
  address: string;
  client: EmbedderClient;
  imageSize: number;
}

/** A served configuration: the environment the embedder gets beyond the bench's own settings. */
interface ServedConfig {
  /** What `--configs` names it by. */
  key: string;
  name: string;
  env: Record<string, string>;
}

const SERVED: ServedConfig[] = [
  { key: 'before', name: 'before: 1 worker × 1 thread', env: { INFERENCE_WORKERS: '1', INTRA_OP_THREADS: '1', LATENCY_WORKER_THREADS: '0' } },
  { key: 'one-worker', name: `1 worker × ${CORES} threads`, env: { INFERENCE_WORKERS: '1', INTRA_OP_THREADS: String(CORES), LATENCY_WORKER_THREADS: '0' } },
  { key: 'auto-without-latency-worker', name: 'auto without the latency worker', env: { LATENCY_WORKER_THREADS: '0' } },
  // Last: the default, every setting auto (a latency worker per tower where the rule gives one).
  { key: 'auto', name: 'auto', env: {} },
];

async function startEmbedder(options: Options, config: ServedConfig): Promise<RunningEmbedder> {
  const service = await startService('embedder', {
    env: {
      MODEL_DIR: options.modelDir,
      MAX_BATCH: String(options.maxBatch),
      MAX_WAIT_MS: String(options.maxWaitMs),
      MAX_QUEUE: '8192',
      LOG_LEVEL: 'warn',
      ...config.env,
    },
  });
  const client = new EmbedderClient({ address: service.address, defaultDeadlineMs: 60_000 });
  const { imageSize } = await client.getModelInfo({ deadlineMs: 2000 });
  return { service, address: service.address, client, imageSize };
}

function procStatusMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Inference workers of the text tower, from the service's metrics (what auto resolved to). */
async function liveWorkers(embedder: RunningEmbedder): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${embedder.service.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith('embedder_inference_workers{') && entry.includes('tower="text"'));
  return Number(line?.split(' ').at(-1));
}

async function stopEmbedder(embedder: RunningEmbedder): Promise<void> {
  embedder.client.close();
  await embedder.service.stop();
}

/** CPU seconds (user + system) the service process has used so far. */
function serviceCpuSeconds(service: RunningEmbedder): number {
  const fields = readFileSync(`/proc/${service.service.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Items/s with `concurrency` callers each sending one item per call, back to back; and the service's CPU ms per item. */
async function measureGrpc(service: RunningEmbedder, tower: Tower, concurrency: number, seconds: number): Promise<{ perSecond: number; cpuMsPerItem: number }> {
  const pixels = Array.from({ length: 64 }, (_, i) => pixelsFor(service.imageSize, i));
  const call = (i: number) => (tower === 'image' ? service.client.embedPixels([pixels[i % pixels.length]]) : service.client.embedTexts([caption(i)]));
  let measuring = false;
  let stop = false;
  let items = 0;
  const loops = Array.from({ length: concurrency }, async (_, worker) => {
    for (let i = worker; !stop; i += concurrency) {
      await call(i);
      if (measuring) items++;
    }
  });
  await sleep(500);
  measuring = true;
  const started = performance.now();
  const cpuBefore = serviceCpuSeconds(service);
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = serviceCpuSeconds(service) - cpuBefore;
  stop = true;
  await Promise.all(loops);
  return { perSecond: items / elapsed, cpuMsPerItem: (cpu * 1000) / items };
}

/**
 * The bulk callers of the interactive-latency measurement, in a process of their own (as ingestion
 * is in production): 4 callers × `maxBatch` items, back to back, on the bulk lane, until the parent
 * says stop. Sharing the probe's event loop would add the callers' own work to every query's latency.
 */
async function runBulkCallers(address: string, tower: Tower, maxBatch: number): Promise<void> {
  const client = new EmbedderClient({ address, defaultDeadlineMs: 60_000 });
  const imageSize = (await client.getModelInfo()).imageSize;
  const pixels = Array.from({ length: maxBatch }, (_, i) => pixelsFor(imageSize, i));
  const texts = Array.from({ length: maxBatch }, (_, i) => caption(i + 1000));
  const priority: EmbedPriority = 'bulk';
  let stop = false;
  process.once('message', () => (stop = true));
  process.send?.('started');
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop) await (tower === 'image' ? client.embedPixels(pixels, { priority }) : client.embedTexts(texts, { priority }));
    }),
  );
  client.close();
  process.disconnect?.();
}

/** Latency of single interactive text queries, one at a time, while bulk callers (another process, at nice 10) keep the bulk lane full. */
async function measureInteractive(service: RunningEmbedder, bulkTower: Tower, maxBatch: number, seconds: number): Promise<number[]> {
  const callers = fork(path.join(REPO_ROOT, 'tools/cli/bin/run-ts.js'), [__filename, '--bulk-callers', service.address, bulkTower, String(maxBatch)], {
    stdio: 'inherit',
  });
  if (callers.pid) os.setPriority(callers.pid, 10);
  const exited = new Promise((resolve) => callers.once('exit', resolve));
  await new Promise((resolve, reject) => {
    callers.once('message', resolve);
    callers.once('exit', (code) => reject(new Error(`bulk callers exited with code ${code}`)));
  });
  await sleep(1000);
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < until; i++) {
    const started = performance.now();
    await service.client.embedTexts([caption(i)], { priority: 'interactive' });
    latencies.push(performance.now() - started);
    await sleep(10);
  }
  callers.send('stop');
  await exited;
  return latencies;
}

/** µs to encode and decode one response of `count` vectors as packed bytes vs `repeated float`. */
function measureEncoding(count: number, dimension: number): { bytesUs: number; repeatedUs: number } {
  const vectors = new Float32Array(count * dimension).map((_, i) => Math.sin(i));
  const asBytes = new Uint8Array(vectors.buffer);
  const time = (work: () => void) => {
    for (let i = 0; i < 50; i++) work();
    const rounds = 500;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) work();
    return ((performance.now() - started) * 1000) / rounds;
  };
  const bytesUs = time(() => {
    const wire = new BinaryWriter().tag(3, WireType.LengthDelimited).bytes(asBytes).finish();
    const reader = new BinaryReader(wire);
    reader.tag();
    const decoded = new Float32Array(count * dimension);
    new Uint8Array(decoded.buffer).set(reader.bytes());
  });
  const repeatedUs = time(() => {
    const writer = new BinaryWriter().tag(3, WireType.LengthDelimited).fork();
    for (let i = 0; i < vectors.length; i++) writer.float(vectors[i]);
    const wire = writer.join().finish();
    const reader = new BinaryReader(wire);
    reader.tag();
    const end = reader.uint32() + reader.pos;
    const decoded = new Float32Array(count * dimension);
    for (let i = 0; reader.pos < end; i++) decoded[i] = reader.float();
  });
  return { bytesUs, repeatedUs };
}

const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

interface ServedFigures {
  grpc: Record<Tower, Record<number, number[]>>;
  cpuMs: Record<Tower, Record<number, number[]>>;
  interactive: Record<Tower, { p50: number[]; p99: number[] }>;
  rssMiB: number[];
  peakMiB: number[];
  workers: number[];
  threads: number[];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const measured = (config: ServedConfig) => !options.configs || options.configs.includes(config.key);
  const manifest = JSON.parse(readFileSync(`${options.modelDir}/model.json`, 'utf8')) as {
    name: string;
    version: string;
    image: { size: number };
    embeddingDimension: number;
    text: { contextLength: number };
  };
  const modelId = `${manifest.name}@${manifest.version}`;
  console.log(
    `embedder bench: ${modelId}, ${options.runs} runs × ${options.seconds} s, ${CORES} cores, MAX_BATCH=${options.maxBatch}, MAX_WAIT_MS=${options.maxWaitMs}`,
  );

  const raw: Record<Tower, Record<string, Record<number, number[]>>> = { image: {}, text: {} };
  const rawLatency: Record<Tower, Record<number, number[]>> = { image: {}, text: {} };
  const served = SERVED.map((): ServedFigures => ({
    grpc: { image: {}, text: {} },
    cpuMs: { image: {}, text: {} },
    interactive: { image: { p50: [], p99: [] }, text: { p50: [], p99: [] } },
    rssMiB: [],
    peakMiB: [],
    workers: [],
    threads: [],
  }));
  const push = <K extends string | number>(table: Record<K, number[]>, key: K, value: number) => (table[key] ??= []).push(value);

  for (let run = 0; run < options.runs; run++) {
    console.log(`\n-- run ${run + 1}/${options.runs}`);
    const rawRun = await measureRaw(options);
    for (const tower of TOWERS) {
      for (const [cell, byBatch] of Object.entries(rawRun.throughput[tower]))
        for (const [batch, value] of Object.entries(byBatch)) push((raw[tower][cell] ??= {}), Number(batch), value);
      for (const [threads, ms] of Object.entries(rawRun.latencyMs[tower])) push(rawLatency[tower], Number(threads), ms);
    }
    console.log(
      'raw items/s (workers×threads → batch → items/s)',
      JSON.stringify(rawRun.throughput, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value) : value)),
    );
    console.log(
      'raw ms per item at batch 1 (threads → ms)',
      JSON.stringify(rawRun.latencyMs, (_key, value: unknown) => (typeof value === 'number' ? Number(value.toFixed(2)) : value)),
    );

    for (const [index, config] of SERVED.entries()) {
      if (!measured(config)) continue;
      const figures = served[index];
      const service = await startEmbedder(options, config);
      try {
        figures.rssMiB.push(procStatusMiB(service.service.pid, 'VmRSS'));
        figures.workers.push(await liveWorkers(service));
        figures.threads.push(Number(config.env.INTRA_OP_THREADS ?? 1));
        for (const tower of TOWERS) {
          for (const concurrency of CONCURRENCY) {
            const { perSecond, cpuMsPerItem } = await measureGrpc(service, tower, concurrency, options.seconds);
            push(figures.grpc[tower], concurrency, perSecond);
            push(figures.cpuMs[tower], concurrency, cpuMsPerItem);
            console.log(`${config.name}: gRPC ${tower} c=${concurrency}: ${fmt(perSecond)} items/s, service CPU ${fmt(cpuMsPerItem, 2)} ms per item`);
          }
        }
        for (const bulkTower of TOWERS) {
          const latencies = await measureInteractive(service, bulkTower, options.maxBatch, options.seconds * 2);
          figures.interactive[bulkTower].p50.push(percentile(latencies, 50));
          figures.interactive[bulkTower].p99.push(percentile(latencies, 99));
          console.log(
            `${config.name}: interactive text query while bulk ${bulkTower}s saturate: p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms (${latencies.length} queries)`,
          );
        }
        figures.peakMiB.push(procStatusMiB(service.service.pid, 'VmHWM'));
      } finally {
        await stopEmbedder(service);
      }
    }
  }

  const medianRaw = (tower: Tower) =>
    Object.fromEntries(
      Object.entries(raw[tower]).map(([cell, byBatch]) => [
        cell,
        Object.fromEntries(Object.entries(byBatch).map(([batch, values]) => [batch, median(values)])),
      ]),
    );
  const ceiling = Object.fromEntries(TOWERS.map((tower) => [tower, bestRaw(medianRaw(tower))])) as Record<Tower, ReturnType<typeof bestRaw>>;
  // #21 derives its ceiling from one item per run; one item per call at c=8 rarely forms batch 8 on each worker.
  const ceilingAtBatch1 = Object.fromEntries(TOWERS.map((tower) => [tower, bestRaw(medianRaw(tower), 1)])) as Record<Tower, ReturnType<typeof bestRaw>>;
  const encoding = [manifest.embeddingDimension, 512].map((dimension) => ({ dimension, ...measureEncoding(64, dimension) }));
  const command = `npm run bench:embedder -- --runs ${options.runs} --seconds ${options.seconds} --max-batch ${options.maxBatch} --max-wait-ms ${options.maxWaitMs}${options.modelDir === BUNDLED_MODEL_DIR ? '' : ` --model-dir ${path.relative(REPO_ROOT, options.modelDir) || options.modelDir}`}`;
  const shown = SERVED.flatMap((config, index) => (measured(config) ? [{ config, figures: served[index] }] : []));
  const figuresOf = (key: string) => shown.find((entry) => entry.config.key === key)?.figures;
  const auto = figuresOf('auto');
  const autoWithoutLatencyWorker = figuresOf('auto-without-latency-worker');
  const before = figuresOf('before');

  const section = [
    '## Embedder',
    '',
    `Command: \`${command}\` (\`services/embedder/bench/embedder.bench.ts\`). Model \`${modelId}\` (${manifest.image.size} px images, ${manifest.text.contextLength}-token texts, ${manifest.embeddingDimension}-d), CPU execution provider; ` +
      `machine: ${describeMachine()}, ${CORES} cores available, load average at the end ${os
        .loadavg()
        .map((load) => load.toFixed(1))
        .join(' / ')} (a shared machine: other work ran beside the bench, so compare ratios within this run rather than absolute figures across runs). ` +
      `Medians of ${options.runs} runs of ${options.seconds} s per cell. The service runs as a child process with MAX_BATCH=${options.maxBatch}, MAX_WAIT_MS=${options.maxWaitMs}; the throughput callers (one gRPC channel, one item per call) run in the benchmark process, the bulk callers of the latency rows in a process of their own at nice 10 (as if on other machines), all on the same machine.`,
    '',
    `Raw ceiling (ModelRuntime in the bench process, no transport; W workers per tower × T intra-op threads, W callers back to back), items/s by batch size:`,
    '',
    `| tower | ${GRID.map((cell) => `${cell.workers} worker${cell.workers > 1 ? 's' : ''} × ${cell.threads} thread${cell.threads > 1 ? 's' : ''}`).join(' | ')} | ceiling |`,
    `| --- | ${GRID.map(() => '---').join(' | ')} | --- |`,
    ...TOWERS.map((tower) => {
      const cells = medianRaw(tower);
      return `| ${tower}s/s | ${GRID.map((cell) => RAW_BATCHES.map((batch) => `b${batch}: ${fmt(cells[gridKey(cell)]?.[batch] ?? Number.NaN)}`).join(', ')).join(' | ')} | **${fmt(ceiling[tower].perSecond)}** (${ceiling[tower].cell}, batch ${ceiling[tower].batch}) |`;
    }),
    '',
    `Raw ms per item at batch 1, one caller: ${TOWERS.map(
      (tower) =>
        `${tower}s ${Object.entries(rawLatency[tower])
          .map(([threads, values]) => `${threads} thread${Number(threads) > 1 ? 's' : ''} ${fmt(median(values), 2)}`)
          .join(', ')}`,
    ).join('; ')}.`,
    '',
    "Over gRPC, one item per call, items/s (% of the raw ceiling of the same run) and the service process's CPU per item:",
    '',
    `| configuration (workers per tower × threads) | ${TOWERS.flatMap((tower) => CONCURRENCY.map((c) => `${tower}s c=${c}`)).join(' | ')} | CPU ms per item at c=8 (image / text) |`,
    `| --- | ${TOWERS.flatMap(() => CONCURRENCY.map(() => '---')).join(' | ')} | --- |`,
    ...shown.map(({ config, figures }) => {
      const cells = TOWERS.flatMap((tower) =>
        CONCURRENCY.map((c) => {
          const value = median(figures.grpc[tower][c]);
          return c === 8
            ? `**${fmt(value)} (${fmt((100 * value) / ceiling[tower].perSecond)}%)**`
            : `${fmt(value)} (${fmt((100 * value) / ceiling[tower].perSecond)}%)`;
        }),
      );
      return `| ${config.name} (${fmt(median(figures.workers))} × ${fmt(median(figures.threads))}) | ${cells.join(' | ')} | ${fmt(median(figures.cpuMs.image[8]), 2)} / ${fmt(median(figures.cpuMs.text[8]), 2)} |`;
    }),
    '',
    `Against the ceiling at one item per run (batch 1: images ${fmt(ceilingAtBatch1.image.perSecond)} (${ceilingAtBatch1.image.cell}), texts ${fmt(ceilingAtBatch1.text.perSecond)} (${ceilingAtBatch1.text.cell}); how #21 derives its ceiling), c=8 reaches: ` +
      shown
        .map(
          ({ config, figures }) =>
            `${config.name}: images ${fmt((100 * median(figures.grpc.image[8])) / ceilingAtBatch1.image.perSecond)}%, texts ${fmt((100 * median(figures.grpc.text[8])) / ceilingAtBatch1.text.perSecond)}%`,
        )
        .join('; ') +
      '.',
    '',
    'c=1 latency over gRPC (ms per call = 1000 / items/s at c=1): ' +
      shown
        .map(
          ({ config, figures }) =>
            `${config.name}: images ${fmt(1000 / median(figures.grpc.image[1]), 2)}, texts ${fmt(1000 / median(figures.grpc.text[1]), 2)}`,
        )
        .join('; ') +
      '.',
    '',
    'Interactive text query (one at a time) while 4 bulk callers × MAX_BATCH items keep the bulk lane full:',
    '',
    '| configuration | bulk texts: p50 ms | p99 ms | bulk images: p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- |',
    ...shown.map(({ config, figures: { interactive } }) => {
      return `| ${config.name} | ${fmt(median(interactive.text.p50), 1)} | ${fmt(median(interactive.text.p99), 1)} | ${fmt(median(interactive.image.p50), 1)} | ${fmt(median(interactive.image.p99), 1)} |`;
    }),
    '',
    `Memory of the service process: ${shown.map(({ config, figures }) => `${config.name}: RSS after warm-up ${fmt(median(figures.rssMiB))} MiB, peak ${fmt(median(figures.peakMiB))} MiB`).join('; ')}.` +
      (autoWithoutLatencyWorker && before
        ? ` Each added worker (one session of each tower) costs ${fmt((median(autoWithoutLatencyWorker.rssMiB) - median(before.rssMiB)) / Math.max(1, median(autoWithoutLatencyWorker.workers) - 1))} MiB of RSS here (auto without the latency worker against before, per extra worker per tower pair).`
        : '') +
      (auto && autoWithoutLatencyWorker
        ? ` The latency workers (one session of each tower) cost ${fmt(median(auto.rssMiB) - median(autoWithoutLatencyWorker.rssMiB))} MiB (auto against auto without them).`
        : ''),
    '',
    `Response encoding, 64 vectors, encode + decode with @bufbuild/protobuf: ${encoding
      .map(
        (entry) =>
          `${entry.dimension}-d: packed \`bytes\` ${fmt(entry.bytesUs, 1)} µs vs \`repeated float\` ${fmt(entry.repeatedUs, 1)} µs (${fmt(entry.repeatedUs / entry.bytesUs, 0)}×)`,
      )
      .join('; ')}.`,
  ].join('\n');

  console.log(`\n${section}`);
  if (options.write) {
    writeBenchmarkSection('embedder', section);
    console.log('\nwrote the embedder section of docs/benchmarks.md');
  }
}

const bulkCallers = process.argv.indexOf('--bulk-callers');
(bulkCallers === -1
  ? main()
  : runBulkCallers(process.argv[bulkCallers + 1], process.argv[bulkCallers + 2] as Tower, Number(process.argv[bulkCallers + 3]))
).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
