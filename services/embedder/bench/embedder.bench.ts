/**
 * `npm run bench:embedder`: the embedder over gRPC against this machine's
 * ceiling, the raw onnxruntime-node session with the same threads.
 *
 * - raw: ModelRuntime in this process, batch sizes 1…64 back to back; the best is the ceiling;
 * - gRPC: the real service (child process, `services/embedder/src/main.ts` as its image runs it), one item per call from
 *   1, 8 and 64 concurrent callers, batching on (MAX_BATCH, MAX_WAIT_MS) and off (MAX_BATCH=1);
 * - interactive latency: one text query at a time while bulk calls from another process keep the
 *   bulk lane full (bulk texts, then bulk images), p50/p99 against MAX_WAIT_MS + two batch times;
 * - peak RSS of the service process (VmHWM), and packed `bytes` vs `repeated float` encoding.
 *
 * Medians over --runs runs. Writes the `embedder` section of docs/benchmarks.md (unless --no-write).
 * Usage: npm run bench:embedder -- [--runs 3] [--seconds 3] [--threads 1] [--max-batch 32] [--max-wait-ms 5]
 *        [--model-dir DIR] [--no-write]
 *
 * The load generator runs on the same machine as the service, so with few cores the callers take
 * CPU from the service: the ratio to the raw session is a floor of what a separate client would see.
 */
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { EmbedderClient, type EmbedPriority } from '@vsearch/grpc-clients';
import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import { toNormalizedChw } from '@vsearch/preprocessing';
import { describeMachine, median, REPO_ROOT, startService, writeBenchmarkSection, type RunningService } from '@vsearch/testing';

interface Options {
  runs: number;
  seconds: number;
  threads: number;
  maxBatch: number;
  maxWaitMs: number;
  modelDir: string;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 3, seconds: 3, threads: 1, maxBatch: 32, maxWaitMs: 5, modelDir: BUNDLED_MODEL_DIR, write: true };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    if (argv[i] === '--runs') options.runs = Number(next());
    else if (argv[i] === '--seconds') options.seconds = Number(next());
    else if (argv[i] === '--threads') options.threads = Number(next());
    else if (argv[i] === '--max-batch') options.maxBatch = Number(next());
    else if (argv[i] === '--max-wait-ms') options.maxWaitMs = Number(next());
    else if (argv[i] === '--model-dir') options.modelDir = next();
    else if (argv[i] === '--no-write') options.write = false;
  }
  return options;
}

type Tower = 'image' | 'text';
const TOWERS: Tower[] = ['image', 'text'];
const CONCURRENCY = [1, 8, 64];
const RAW_BATCHES = [1, 8, 16, 32, 64];

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

/** Items/s of the raw session at each batch size (the model's own throughput, no transport). */
async function measureRaw(options: Options): Promise<Record<Tower, Record<number, number>>> {
  const runtime = await ModelRuntime.load(options.modelDir, { executionProviders: ['cpu'], intraOpThreads: options.threads, inferenceThread: 'main' });
  const { imageSize: size, mean, std } = runtime.info();
  const plane = 3 * size * size;
  const result: Record<Tower, Record<number, number>> = { image: {}, text: {} };
  try {
    for (const batch of RAW_BATCHES) {
      const chw = new Float32Array(batch * plane);
      for (let i = 0; i < batch; i++) toNormalizedChw(pixelsFor(size, i), size, mean, std, chw, i * plane);
      const tokens = runtime.tokenize(Array.from({ length: batch }, (_, i) => caption(i)));
      const towers: Record<Tower, () => Promise<unknown>> = {
        image: () => runtime.embedImageBatch(chw, batch),
        text: () => runtime.embedTextBatch(tokens.inputIds, tokens.attentionMask, batch),
      };
      for (const tower of TOWERS) {
        await towers[tower]();
        let items = 0;
        const started = performance.now();
        while (performance.now() - started < options.seconds * 1000) {
          await towers[tower]();
          items += batch;
        }
        result[tower][batch] = items / ((performance.now() - started) / 1000);
      }
    }
  } finally {
    await runtime.close();
  }
  return result;
}

/**
 * Items/s of the raw session at one batch size per tower while a busy loop runs in another process
 * (the other core is busy, as it is whenever gRPC, callers or anything else runs beside inference).
 * Tells whether the cores slow each other down (shared caches, SMT siblings, a busy host): if they
 * do, this rather than the idle-machine rate is what a served model can approach here. The
 * target's ceiling stays the idle-machine rate.
 */
async function measureRawContended(options: Options, batches: Record<Tower, number>): Promise<Record<Tower, number>> {
  const runtime = await ModelRuntime.load(options.modelDir, { executionProviders: ['cpu'], intraOpThreads: options.threads, inferenceThread: 'main' });
  const { imageSize: size, mean, std } = runtime.info();
  const plane = 3 * size * size;
  const busyLoop = spawn(process.execPath, ['-e', 'for (let i = 0; ; i++) {}'], { stdio: 'ignore' });
  const result = { image: 0, text: 0 };
  try {
    await sleep(200);
    for (const tower of TOWERS) {
      const batch = batches[tower];
      const chw = new Float32Array(batch * plane);
      for (let i = 0; i < batch; i++) toNormalizedChw(pixelsFor(size, i), size, mean, std, chw, i * plane);
      const tokens = runtime.tokenize(Array.from({ length: batch }, (_, i) => caption(i)));
      const run = () => (tower === 'image' ? runtime.embedImageBatch(chw, batch) : runtime.embedTextBatch(tokens.inputIds, tokens.attentionMask, batch));
      await run();
      let items = 0;
      const started = performance.now();
      while (performance.now() - started < options.seconds * 1000) {
        await run();
        items += batch;
      }
      result[tower] = items / ((performance.now() - started) / 1000);
    }
  } finally {
    busyLoop.kill('SIGKILL');
    await runtime.close();
  }
  return result;
}

interface RunningEmbedder {
  service: RunningService;
  address: string;
  client: EmbedderClient;
  imageSize: number;
}

async function startEmbedder(options: Options, env: Record<string, string>): Promise<RunningEmbedder> {
  const service = await startService('embedder', {
    env: { MODEL_DIR: options.modelDir, INTRA_OP_THREADS: String(options.threads), MAX_QUEUE: '8192', LOG_LEVEL: 'warn', ...env },
  });
  const client = new EmbedderClient({ address: service.address, defaultDeadlineMs: 60_000 });
  const { imageSize } = await client.getModelInfo({ deadlineMs: 2000 });
  return { service, address: service.address, client, imageSize };
}

async function stopEmbedder(embedder: RunningEmbedder): Promise<number> {
  const status = readFileSync(`/proc/${embedder.service.pid}/status`, 'utf8');
  const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  embedder.client.close();
  await embedder.service.stop();
  return peakKiB / 1024;
}

/** CPU seconds (user + system) the service process has used so far. */
function serviceCpuSeconds(service: RunningEmbedder): number {
  const fields = readFileSync(`/proc/${service.service.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Cores used while the last measureGrpc measured: by the service process and by the callers (this process). */
const lastCpu = { service: Number.NaN, callers: Number.NaN };

/** Items/s with `concurrency` callers each sending `perCall` items per call, back to back. */
async function measureGrpc(service: RunningEmbedder, tower: Tower, concurrency: number, seconds: number, perCall = 1): Promise<number> {
  const pixels = Array.from({ length: 64 }, (_, i) => pixelsFor(service.imageSize, i));
  const pick = <T>(i: number, make: (j: number) => T) => Array.from({ length: perCall }, (_, k) => make(i * perCall + k));
  const call = (i: number) =>
    tower === 'image' ? service.client.embedPixels(pick(i, (j) => pixels[j % pixels.length])) : service.client.embedTexts(pick(i, (j) => caption(j)));
  let measuring = false;
  let stop = false;
  let items = 0;
  const loops = Array.from({ length: concurrency }, async (_, worker) => {
    for (let i = worker; !stop; i += concurrency) {
      await call(i);
      if (measuring) items += perCall;
    }
  });
  await sleep(500);
  measuring = true;
  const started = performance.now();
  const serviceCpu = serviceCpuSeconds(service);
  const callersCpu = process.cpuUsage();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const callers = process.cpuUsage(callersCpu);
  lastCpu.service = (serviceCpuSeconds(service) - serviceCpu) / elapsed;
  lastCpu.callers = (callers.user + callers.system) / 1e6 / elapsed;
  stop = true;
  await Promise.all(loops);
  return items / elapsed;
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

/**
 * Where the bulk callers run relative to the service: at the same scheduling priority (they take
 * CPU from the service as much as it takes from them), or at nice 10, standing in for callers on
 * other machines (ingestion pods): the service then gets the cores first and the callers the rest.
 */
type CallerPriority = 'same' | 'nice10';
const CALLER_PRIORITIES: CallerPriority[] = ['same', 'nice10'];

/** Latency of single interactive text queries, one at a time, while bulk callers (another process) keep the bulk lane full. */
async function measureInteractive(
  service: RunningEmbedder,
  bulkTower: Tower,
  maxBatch: number,
  seconds: number,
  callerPriority: CallerPriority,
): Promise<number[]> {
  const callers = fork(path.join(REPO_ROOT, 'tools/cli/bin/run-ts.js'), [__filename, '--bulk-callers', service.address, bulkTower, String(maxBatch)], {
    stdio: 'inherit',
  });
  if (callerPriority === 'nice10' && callers.pid) os.setPriority(callers.pid, 10);
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

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(readFileSync(`${options.modelDir}/model.json`, 'utf8')) as {
    name: string;
    version: string;
    image: { size: number };
    embeddingDimension: number;
    text: { contextLength: number };
  };
  const modelId = `${manifest.name}@${manifest.version}`;
  console.log(
    `embedder bench: ${modelId}, ${options.runs} runs × ${options.seconds} s, INTRA_OP_THREADS=${options.threads}, MAX_BATCH=${options.maxBatch}, MAX_WAIT_MS=${options.maxWaitMs}`,
  );

  const raw: Record<Tower, Record<number, number[]>> = { image: {}, text: {} };
  const grpc: Record<'on' | 'off', Record<Tower, Record<number, number[]>>> = { on: { image: {}, text: {} }, off: { image: {}, text: {} } };
  /** c=64 with 8 items per call (ingestion's pattern), batching on. */
  const multi: Record<Tower, number[]> = { image: [], text: [] };
  /** Cores used by the service and by the callers at c=64, one item per call, batching on. */
  const cores: Record<Tower, { service: number[]; callers: number[] }> = { image: { service: [], callers: [] }, text: { service: [], callers: [] } };
  const interactive: Record<`${Tower}/${CallerPriority}`, { p50: number[]; p99: number[] }> = {
    'image/same': { p50: [], p99: [] },
    'image/nice10': { p50: [], p99: [] },
    'text/same': { p50: [], p99: [] },
    'text/nice10': { p50: [], p99: [] },
  };
  /** Raw session at each run's best batch size with the other core busy. */
  const contended: Record<Tower, number[]> = { image: [], text: [] };
  const rssMiB: number[] = [];
  const push = <K extends string | number>(table: Record<K, number[]>, key: K, value: number) => (table[key] ??= []).push(value);

  for (let run = 0; run < options.runs; run++) {
    console.log(`\n-- run ${run + 1}/${options.runs}`);
    const rawRun = await measureRaw(options);
    for (const tower of TOWERS) for (const batch of RAW_BATCHES) push(raw[tower], batch, rawRun[tower][batch]);
    console.log(
      'raw items/s',
      JSON.stringify(rawRun, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value) : value)),
    );
    const bestBatchOfRun = (tower: Tower) => RAW_BATCHES.reduce((best, batch) => (rawRun[tower][batch] > rawRun[tower][best] ? batch : best));
    const contendedRun = await measureRawContended(options, { image: bestBatchOfRun('image'), text: bestBatchOfRun('text') });
    for (const tower of TOWERS) contended[tower].push(contendedRun[tower]);
    console.log(
      `raw items/s with the other core busy: images ${fmt(contendedRun.image)} (batch ${bestBatchOfRun('image')}), texts ${fmt(contendedRun.text)} (batch ${bestBatchOfRun('text')})`,
    );

    for (const mode of ['on', 'off'] as const) {
      const env = mode === 'on' ? { MAX_BATCH: String(options.maxBatch), MAX_WAIT_MS: String(options.maxWaitMs) } : { MAX_BATCH: '1', MAX_WAIT_MS: '0' };
      const service = await startEmbedder(options, env);
      try {
        for (const tower of TOWERS) {
          for (const concurrency of CONCURRENCY) {
            const perSecond = await measureGrpc(service, tower, concurrency, options.seconds);
            push(grpc[mode][tower], concurrency, perSecond);
            if (mode === 'on' && concurrency === 64) {
              cores[tower].service.push(lastCpu.service);
              cores[tower].callers.push(lastCpu.callers);
            }
            console.log(
              `gRPC batching ${mode} ${tower} c=${concurrency}: ${fmt(perSecond)} items/s (cores: service ${fmt(lastCpu.service, 2)}, callers ${fmt(lastCpu.callers, 2)})`,
            );
          }
        }
        if (mode === 'on') {
          for (const tower of TOWERS) {
            const perSecond = await measureGrpc(service, tower, 64, options.seconds, 8);
            multi[tower].push(perSecond);
            console.log(`gRPC batching on ${tower} c=64, 8 items per call: ${fmt(perSecond)} items/s`);
          }
          for (const bulkTower of TOWERS) {
            for (const callerPriority of CALLER_PRIORITIES) {
              const latencies = await measureInteractive(service, bulkTower, options.maxBatch, options.seconds * 2, callerPriority);
              interactive[`${bulkTower}/${callerPriority}`].p50.push(percentile(latencies, 50));
              interactive[`${bulkTower}/${callerPriority}`].p99.push(percentile(latencies, 99));
              console.log(
                `interactive text query while bulk ${bulkTower}s saturate (callers at ${callerPriority} priority): p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms (${latencies.length} queries)`,
              );
            }
          }
        }
      } finally {
        const peak = await stopEmbedder(service);
        if (mode === 'on') rssMiB.push(peak);
      }
    }
  }

  const bestRaw = (tower: Tower) => {
    const [batch, perSecond] = RAW_BATCHES.map((size) => [size, median(raw[tower][size])] as const).reduce((best, entry) =>
      entry[1] > best[1] ? entry : best,
    );
    return { batch, perSecond };
  };
  /** Time of one batch of `size` at the raw rate of that batch size. */
  const batchMs = (tower: Tower, size: number) => {
    const at = RAW_BATCHES.filter((candidate) => candidate <= size).at(-1) ?? 1;
    return (size / median(raw[tower][at])) * 1000;
  };
  const encoding = [manifest.embeddingDimension, 512].map((dimension) => ({ dimension, ...measureEncoding(64, dimension) }));

  const rows: string[] = [];
  for (const tower of TOWERS) {
    const best = bestRaw(tower);
    const on = (c: number) => median(grpc.on[tower][c]);
    const off = (c: number) => median(grpc.off[tower][c]);
    rows.push(
      `| ${tower}s/s | ${CONCURRENCY.map((c) => fmt(on(c))).join(' | ')} | ${CONCURRENCY.map((c) => fmt(off(c))).join(' | ')} | ${fmt(best.perSecond)} (batch ${best.batch}) | **${fmt((100 * on(64)) / best.perSecond)}%** | **${fmt(on(64) / off(64), 2)}×** | ${fmt(median(multi[tower]))} (${fmt((100 * median(multi[tower])) / best.perSecond)}%) |`,
    );
  }
  const textBatch = batchMs('text', options.maxBatch);
  const imageBatch = batchMs('image', options.maxBatch);
  // The strict budget counts two batches of the query's own tower (the text batch in flight, then
  // the query's); with bulk images, the looser one counts the image batch a single compute thread
  // would have had to finish first, the budget the design before per-tower threads was held to.
  const strictBudget = options.maxWaitMs + 2 * textBatch;
  const imageAheadBudget = options.maxWaitMs + imageBatch + textBatch;
  const within = (p99: number, budget: number) => `${p99 <= budget ? 'yes' : 'no'} (${fmt(budget, 1)})`;
  const latencyRows = TOWERS.flatMap((bulkTower) =>
    CALLER_PRIORITIES.map((callerPriority) => {
      const { p50, p99 } = interactive[`${bulkTower}/${callerPriority}`];
      const where = callerPriority === 'same' ? 'same priority as the service' : 'nice 10 (as if on other machines)';
      const loose = bulkTower === 'image' ? within(median(p99), imageAheadBudget) : '–';
      return `| bulk ${bulkTower}s (4 callers × ${options.maxBatch} items), callers at ${where} | ${fmt(median(p50), 1)} | ${fmt(median(p99), 1)} | ${within(median(p99), strictBudget)} | ${loose} |`;
    }),
  );

  const section = [
    '## Embedder',
    '',
    `Command: \`npm run bench:embedder -- --runs ${options.runs} --seconds ${options.seconds} --threads ${options.threads} --max-batch ${options.maxBatch} --max-wait-ms ${options.maxWaitMs}\` (\`services/embedder/bench/embedder.bench.ts\`). ` +
      `Model \`${modelId}\` (${manifest.image.size} px images, ${manifest.text.contextLength}-token texts, ${manifest.embeddingDimension}-d), CPU execution provider, ` +
      `INTRA_OP_THREADS=${options.threads}, one inference worker thread per tower; machine: ${describeMachine()}, load average at the end ${os
        .loadavg()
        .map((load) => load.toFixed(1))
        .join(' / ')}. ` +
      `Medians of ${options.runs} runs of ${options.seconds} s per cell. The service runs as a child process; the throughput callers (one gRPC channel, one item per call) run in the benchmark process, the bulk callers of the latency rows in a process of their own, all on the same machine.`,
    '',
    `| items/s | gRPC batching on, c=1 | c=8 | c=64 | batching off (MAX_BATCH=1), c=1 | c=8 | c=64 | raw session, best batch | gRPC@64 / raw (target ≥ 85%) | on / off @64 (target ≥ 2×) | c=64, 8 items per call (% of raw) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `CPU at c=64, batching on (cores of ${os.cpus().length}): ${TOWERS.map((tower) => `${tower}s: service ${fmt(median(cores[tower].service), 2)}, callers ${fmt(median(cores[tower].callers), 2)}`).join('; ')}.`,
    '',
    'The same raw session with a busy loop in another process (the second core busy, as it is whenever gRPC, the callers or anything else runs beside inference on this machine):',
    '',
    '| tower | raw, idle machine | raw, other core busy | gRPC@64, one item per call | gRPC@64 / raw idle | gRPC@64 / raw other core busy |',
    '| --- | --- | --- | --- | --- | --- |',
    ...TOWERS.map((tower) => {
      const idle = bestRaw(tower).perSecond;
      const busy = median(contended[tower]);
      const served = median(grpc.on[tower][64]);
      return `| ${tower}s/s | ${fmt(idle)} | ${fmt(busy)} | ${fmt(served)} | ${fmt((100 * served) / idle)}% | ${fmt((100 * served) / busy)}% |`;
    }),
    '',
    `Raw session items/s by batch size: ${TOWERS.map((tower) => `${tower}s ${RAW_BATCHES.map((batch) => `${batch}: ${fmt(median(raw[tower][batch]))}`).join(', ')}`).join('; ')}.`,
    '',
    `Interactive text query (one at a time) while bulk calls keep the bulk lane full; budget = MAX_WAIT_MS (${options.maxWaitMs}) + two batch times ` +
      `(text batch of ${options.maxBatch} ≈ ${fmt(textBatch, 1)} ms, image batch ≈ ${fmt(imageBatch, 1)} ms at the raw rate). Strict: two text batches (the query's own tower). ` +
      'With bulk images the towers compute on separate threads, so no image batch is ahead of the query, but both share the two cores; the looser budget counts one image batch ahead instead of a text batch:',
    '',
    '| bulk load | p50 ms | p99 ms | p99 within MAX_WAIT + 2 text batches (ms) | p99 within MAX_WAIT + image + text batch (ms) |',
    '| --- | --- | --- | --- | --- |',
    ...latencyRows,
    '',
    `Peak RSS of the service process (VmHWM, batching on): ${fmt(median(rssMiB))} MiB.`,
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
