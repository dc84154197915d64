/**
 * Workers × intra-op threads (and fp32 against int8), decided by interleaved windows: the embedder's own
 * ModelRuntime (the pool the service uses, worker threads, no spinning) loaded once per model and layout, and
 * short windows of each taken in turn (A B A B ...), so that the load other work puts on a shared machine falls on every layout alike. The
 * embedder bench (`npm run bench:embedder`) measures each layout once, minutes apart; on a busy machine that
 * drift can be larger than the difference it is after.
 *
 *   node tools/cli/bin/run-ts.js training/random-clip/bench-layout.ts --model-dir DIR[,DIR2] [--layouts 1x2,2x1,2x1+2]
 *       [--rounds 4] [--seconds 5] [--batches 1,8] [--concurrency workers,1]
 *
 * A layout is workers × threads per tower, `+L` adding a latency worker with L threads (used only while
 * nothing else computes; see InferencePool).
 *
 * Prints, per tower, batch, concurrency and layout: items/s per window and their median, and the
 * median ms per call (at concurrency 1, a single query's latency). A benchmark, not a test.
 */
import { availableCores, ModelRuntime } from '@vsearch/model';
import { toNormalizedChw } from '@vsearch/preprocessing';

interface Layout {
  workers: number;
  threads: number;
  /** Threads of the latency worker per tower (`WxT+L` on the command line); 0: none. */
  latencyThreads: number;
  /** Set for each loaded combination: the model directory. */
  modelDir?: string;
}

function parseArgs(argv: string[]) {
  const cores = availableCores();
  const options = {
    modelDirs: [] as string[],
    layouts: [
      { workers: 1, threads: cores, latencyThreads: 0 },
      { workers: cores, threads: 1, latencyThreads: 0 },
    ] as Layout[],
    rounds: 4,
    seconds: 5,
    batches: [1, 8],
    /** Callers per window; `workers` (the default) is one per worker of the layout, which keeps every worker busy. */
    concurrency: ['workers'] as (number | 'workers')[],
  };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    if (argv[i] === '--model-dir') options.modelDirs = next().split(',');
    else if (argv[i] === '--layouts')
      options.layouts = next()
        .split(',')
        .map((entry) => {
          const [layout, latency = '0'] = entry.split('+');
          const [workers, threads] = layout.split('x').map(Number);
          return { workers, threads, latencyThreads: Number(latency) };
        });
    else if (argv[i] === '--rounds') options.rounds = Number(next());
    else if (argv[i] === '--seconds') options.seconds = Number(next());
    else if (argv[i] === '--batches') options.batches = next().split(',').map(Number);
    else if (argv[i] === '--concurrency')
      options.concurrency = next()
        .split(',')
        .map((entry) => (entry === 'workers' ? 'workers' : Number(entry)));
    else throw new Error(`unknown argument ${argv[i]} (see the header of bench-layout.ts)`);
  }
  if (options.modelDirs.length === 0) throw new Error('--model-dir is required');
  return options;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const name = (layout: Layout) =>
  `${layout.modelDir?.split('/').at(-1)} ${layout.workers}×${layout.threads}${layout.latencyThreads ? ` + latency worker ×${layout.latencyThreads}` : ''}`;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  options.layouts = options.modelDirs.flatMap((modelDir) => options.layouts.map((layout) => ({ ...layout, modelDir })));
  // Every layout stays loaded for the whole run: loading between windows would put minutes between them.
  const runtimes = await Promise.all(
    options.layouts.map((layout) =>
      ModelRuntime.load(layout.modelDir as string, {
        executionProviders: ['cpu'],
        intraOpThreads: layout.threads,
        intraOpSpinning: false,
        inferenceThread: 'worker',
        inferenceWorkers: layout.workers,
        latencyWorkerThreads: layout.latencyThreads,
      }),
    ),
  );
  try {
    for (const runtime of runtimes) await runtime.warmUp(Math.max(...options.batches));
    const { imageSize: size, mean, std } = runtimes[0].info();
    const plane = 3 * size * size;
    for (const batch of options.batches) {
      const chw = new Float32Array(batch * plane);
      for (let i = 0; i < batch; i++) {
        const pixels = new Uint8Array(size * size * 3).map((_, j) => (j * 31 + i * 17) & 255);
        toNormalizedChw(pixels, size, mean, std, chw, i * plane);
      }
      const texts = Array.from({ length: batch }, (_, i) => `a red striped t-shirt number ${i} for women`);
      for (const tower of ['image', 'text'] as const) {
        for (const concurrency of options.concurrency) {
          const callers = (layout: Layout) => (concurrency === 'workers' ? layout.workers : concurrency);
          const windows = options.layouts.map((): number[] => []);
          for (let round = 0; round < options.rounds; round++) {
            for (const [index, layout] of options.layouts.entries()) {
              const runtime = runtimes[index];
              const tokens = runtime.tokenize(texts);
              const run = () =>
                tower === 'image' ? runtime.embedImageBatch(chw, batch) : runtime.embedTextBatch(tokens.inputIds, tokens.attentionMask, batch);
              let items = 0;
              const started = performance.now();
              const until = started + options.seconds * 1000;
              // Callers back to back (by default one per worker: every worker busy).
              await Promise.all(
                Array.from({ length: callers(layout) }, async () => {
                  while (performance.now() < until) {
                    await run();
                    items += batch;
                  }
                }),
              );
              windows[index].push(items / ((performance.now() - started) / 1000));
            }
          }
          for (const [index, layout] of options.layouts.entries()) {
            const perSecond = median(windows[index]);
            const perCall = (1000 * callers(layout) * batch) / perSecond;
            console.log(
              `${tower}s batch ${batch} ${name(layout)} ${callers(layout)} caller(s): median ${perSecond.toFixed(1)}/s (${perCall.toFixed(1)} ms per call), windows ${windows[index].map((value) => value.toFixed(1)).join(' ')}`,
            );
          }
        }
      }
    }
  } finally {
    await Promise.all(runtimes.map((runtime) => runtime.close()));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
