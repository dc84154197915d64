/**
 * Throughput of a model directory in onnxruntime-node on this machine's CPU, at batch 32
 * (the targets: ≥ 200 images/s and ≥ 2,000 texts/s). A benchmark, not a test: it prints figures.
 *
 *   node tools/cli/bin/run-ts.js training/benchmark-model.ts [--model DIR] [--seconds 5] [--threads N]
 */
import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import os from 'node:os';
import path from 'node:path';

async function rate(seconds: number, perCall: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await call();
  const started = performance.now();
  let items = 0;
  while (performance.now() - started < seconds * 1000) {
    await call();
    items += perCall;
  }
  return items / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string, fallback: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const modelDir = path.resolve(flag('--model', BUNDLED_MODEL_DIR));
  const seconds = Number(flag('--seconds', '5'));
  const threads = argv.includes('--threads') ? Number(flag('--threads', '0')) : undefined;
  const batch = 32;
  const runtime = await ModelRuntime.load(modelDir, { executionProviders: ['cpu'], intraOpThreads: threads });
  try {
    const { imageSize, modelId } = runtime.info();
    const pixels = Float32Array.from({ length: batch * 3 * imageSize * imageSize }, (_, i) => Math.sin(i) * 1.5);
    const texts = Array.from(
      { length: batch },
      (_, i) =>
        `a ${['red', 'blue', 'grey', 'purple'][i % 4]} ${['striped', 'dotted', 'solid', 'checked'][i % 4]} ${['mug', 'dress', 'sneaker', 'lamp'][(i >> 2) % 4]} by northwind`,
    );
    const tokens = runtime.tokenize(texts);
    const images = await rate(seconds, batch, () => runtime.embedImageBatch(pixels, batch));
    const textsPerSecond = await rate(seconds, batch, () => runtime.embedTextBatch(tokens.inputIds, tokens.attentionMask, batch));
    const tokenizeAndEmbed = await rate(seconds, batch, () => runtime.embedTexts(texts));
    console.log(
      JSON.stringify({
        model: modelId,
        batch,
        intraOpThreads: threads ?? 'onnxruntime default',
        cpus: os.cpus().length,
        loadAverage: os.loadavg().map((v) => Math.round(v * 10) / 10),
        imagesPerSecond: Math.round(images),
        textsPerSecond: Math.round(textsPerSecond),
        textsPerSecondWithTokenizer: Math.round(tokenizeAndEmbed),
      }),
    );
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  console.error(`benchmark-model: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
