/**
 * The raw cost of a CLIP export in onnxruntime-node on this machine's CPU, and how closely its int8 variant
 * agrees with fp32: reads a directory in the hub layout build_random_clip.py writes (onnx/text_model.onnx,
 * onnx/vision_model.onnx and their *_quantized.onnx, tokenizer.json, reference-outputs.json, reference-images/).
 * A benchmark, not a test: it prints figures (medians of --runs runs) and the command that reproduces them.
 *
 *   node tools/cli/bin/run-ts.js training/random-clip/bench-raw.ts --hub-dir DIR [--threads 1,2] [--runs 3]
 *       [--seconds 4] [--image-batch 8] [--text-batch 16] [--agreement-only]
 *
 * Throughput: one session per tower and variant, created with intraOpNumThreads = N, sequential execution, full
 * graph optimisation; batches of random normalised pixels and of the reference texts' token ids (77 tokens).
 * Agreement: cosine between the fp32 and int8 embeddings of every reference text and image (median and min),
 * and of fp32 against the PyTorch references (the export's own fidelity).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { TextTokenizer } from '@vsearch/model';
import { cosine } from '../../libs/model-tools/src/pull/tiny-clip-fixture.testing';
import { preprocessImage, toNormalizedChw } from '@vsearch/preprocessing';

const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const IMAGE_SIZE = 224;
const CONTEXT_LENGTH = 77;
const END_OF_TEXT = 49407;

interface Reference {
  texts: { text: string; embedding: number[] }[];
  images: { file: string; sentAs: 'pixels' | 'encoded'; embedding: number[] }[];
}

type Variant = 'fp32' | 'int8';
type Tower = 'vision' | 'text';

function option(argv: string[], name: string, fallback?: string): string {
  const index = argv.indexOf(name);
  const value = index >= 0 ? argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`${name} is required (usage: see the header of ${path.basename(__filename)})`);
  return value;
}

function positiveInteger(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}

function towerFile(hubDir: string, tower: Tower, variant: Variant): string {
  return path.join(hubDir, 'onnx', `${tower}_model${variant === 'int8' ? '_quantized' : ''}.onnx`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function normalizedRows(data: Float32Array, count: number): Float32Array[] {
  const dimension = data.length / count;
  return Array.from({ length: count }, (_, row) => {
    const vector = data.slice(row * dimension, (row + 1) * dimension);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  });
}

async function openSession(file: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

class Inputs {
  constructor(
    readonly tokenizer: TextTokenizer,
    readonly texts: string[],
  ) {}

  pixelFeeds(count: number, seed: number): Record<string, ort.Tensor> {
    const data = new Float32Array(count * 3 * IMAGE_SIZE * IMAGE_SIZE);
    let state = seed >>> 0;
    for (let i = 0; i < data.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      data[i] = (state / 2 ** 32) * 4 - 2;
    }
    return { pixel_values: new ort.Tensor('float32', data, [count, 3, IMAGE_SIZE, IMAGE_SIZE]) };
  }

  textFeeds(texts: readonly string[]): Record<string, ort.Tensor> {
    const tokens = this.tokenizer.tokenize(texts);
    return {
      input_ids: new ort.Tensor('int64', tokens.inputIds, [texts.length, CONTEXT_LENGTH]),
      attention_mask: new ort.Tensor('int64', tokens.attentionMask, [texts.length, CONTEXT_LENGTH]),
    };
  }

  textBatch(count: number): string[] {
    return Array.from({ length: count }, (_, i) => this.texts[i % this.texts.length]);
  }
}

/** Items per second over `seconds` of back-to-back batches, after two warm-up batches. */
async function throughput(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, batch: number, seconds: number): Promise<number> {
  for (let i = 0; i < 2; i++) await session.run(feeds);
  const started = performance.now();
  let items = 0;
  while (performance.now() - started < seconds * 1000) {
    await session.run(feeds);
    items += batch;
  }
  return items / ((performance.now() - started) / 1000);
}

async function embed(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, output: string, count: number): Promise<Float32Array[]> {
  const result = await session.run(feeds);
  return normalizedRows(result[output].data as Float32Array, count);
}

async function referenceImageTensor(hubDir: string, reference: Reference): Promise<Record<string, ort.Tensor>> {
  const data = new Float32Array(reference.images.length * 3 * IMAGE_SIZE * IMAGE_SIZE);
  for (const [row, image] of reference.images.entries()) {
    const bytes = readFileSync(path.join(hubDir, image.file));
    const pixels =
      image.sentAs === 'pixels'
        ? new Uint8Array((await sharp(bytes).removeAlpha().raw().toBuffer()).buffer)
        : (await preprocessImage(bytes, { size: IMAGE_SIZE })).pixels;
    toNormalizedChw(pixels, IMAGE_SIZE, CLIP_MEAN, CLIP_STD, data, row * 3 * IMAGE_SIZE * IMAGE_SIZE);
  }
  return { pixel_values: new ort.Tensor('float32', data, [reference.images.length, 3, IMAGE_SIZE, IMAGE_SIZE]) };
}

function summary(values: number[]): string {
  return `median ${median(values).toFixed(6)}, min ${Math.min(...values).toFixed(6)}`;
}

async function agreement(hubDir: string, reference: Reference, inputs: Inputs): Promise<void> {
  const texts = reference.texts.map((entry) => entry.text);
  const textFeeds = inputs.textFeeds(texts);
  const imageFeeds = await referenceImageTensor(hubDir, reference);
  const embeddings: Record<Variant, Record<Tower, Float32Array[]>> = { fp32: { vision: [], text: [] }, int8: { vision: [], text: [] } };
  for (const variant of ['fp32', 'int8'] as const) {
    const vision = await openSession(towerFile(hubDir, 'vision', variant), 1);
    const text = await openSession(towerFile(hubDir, 'text', variant), 1);
    embeddings[variant] = {
      vision: await embed(vision, imageFeeds, 'image_embeds', reference.images.length),
      text: await embed(text, textFeeds, 'text_embeds', texts.length),
    };
    await Promise.all([vision.release(), text.release()]);
  }
  const against = (a: Float32Array[], b: ArrayLike<number>[]) => a.map((vector, row) => cosine(vector, b[row]));
  console.log(
    `agreement over ${texts.length} reference texts and ${reference.images.length} reference images (${reference.images.length - 1} raw pixels, 1 JPEG):`,
  );
  console.log(
    `  fp32 ONNX vs PyTorch   texts: ${summary(
      against(
        embeddings.fp32.text,
        reference.texts.map((entry) => entry.embedding),
      ),
    )}`,
  );
  console.log(
    `  fp32 ONNX vs PyTorch   images: ${summary(
      against(
        embeddings.fp32.vision,
        reference.images.map((entry) => entry.embedding),
      ),
    )}`,
  );
  console.log(`  int8 vs fp32           texts: ${summary(against(embeddings.int8.text, embeddings.fp32.text))}`);
  console.log(`  int8 vs fp32           images: ${summary(against(embeddings.int8.vision, embeddings.fp32.vision))}`);
  // What "agreement" is worth: how close two different inputs already are.
  const distinct = (vectors: Float32Array[]) => vectors.flatMap((a, i) => vectors.slice(i + 1).map((b) => cosine(a, b)));
  console.log(`  fp32, different inputs texts: ${summary(distinct(embeddings.fp32.text))} (max ${Math.max(...distinct(embeddings.fp32.text)).toFixed(4)})`);
  console.log(
    `  fp32, different inputs images: ${summary(distinct(embeddings.fp32.vision))} (max ${Math.max(...distinct(embeddings.fp32.vision)).toFixed(4)})`,
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const hubDir = path.resolve(option(argv, '--hub-dir'));
  const threadCounts = option(argv, '--threads', '1,2')
    .split(',')
    .map((value) => positiveInteger(value, '--threads'));
  const runs = positiveInteger(option(argv, '--runs', '3'), '--runs');
  const seconds = Number(option(argv, '--seconds', '4'));
  const imageBatch = positiveInteger(option(argv, '--image-batch', '8'), '--image-batch');
  const textBatch = positiveInteger(option(argv, '--text-batch', '16'), '--text-batch');
  const reference = JSON.parse(readFileSync(path.join(hubDir, 'reference-outputs.json'), 'utf8')) as Reference;
  const tokenizer = TextTokenizer.fromFile(path.join(hubDir, 'tokenizer.json'), {
    contextLength: CONTEXT_LENGTH,
    padTokenId: END_OF_TEXT,
    lowercase: true,
    inputIdsName: 'input_ids',
    attentionMaskName: 'attention_mask',
    outputName: 'text_embeds',
  });
  const inputs = new Inputs(
    tokenizer,
    reference.texts.map((entry) => entry.text).filter((text) => text !== ''),
  );

  console.log(`# ${process.argv.slice(1).join(' ')}`);
  console.log(`# ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load average ${os.loadavg()[0].toFixed(2)}, onnxruntime-node ${ort.env.versions.common}`);
  await agreement(hubDir, reference, inputs);
  if (argv.includes('--agreement-only')) return;

  console.log(
    `throughput, medians of ${runs} runs of ${seconds} s (images in batches of ${imageBatch}, texts in batches of ${textBatch}; batch-1 latency in ms):`,
  );
  console.log('| variant | threads | images/s | texts/s | 1 image, ms | 1 text, ms |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const variant of ['fp32', 'int8'] as const) {
    for (const threads of threadCounts) {
      const vision = await openSession(towerFile(hubDir, 'vision', variant), threads);
      const text = await openSession(towerFile(hubDir, 'text', variant), threads);
      const imageFeeds = inputs.pixelFeeds(imageBatch, 7);
      const textFeeds = inputs.textFeeds(inputs.textBatch(textBatch));
      const singleImage = inputs.pixelFeeds(1, 11);
      const singleText = inputs.textFeeds(inputs.textBatch(1));
      const images: number[] = [];
      const texts: number[] = [];
      const imageLatency: number[] = [];
      const textLatency: number[] = [];
      for (let run = 0; run < runs; run++) {
        images.push(await throughput(vision, imageFeeds, imageBatch, seconds));
        texts.push(await throughput(text, textFeeds, textBatch, seconds));
        imageLatency.push(1000 / (await throughput(vision, singleImage, 1, seconds / 2)));
        textLatency.push(1000 / (await throughput(text, singleText, 1, seconds / 2)));
      }
      await Promise.all([vision.release(), text.release()]);
      const figure = (values: number[], digits: number) => `${median(values).toFixed(digits)} (${values.map((value) => value.toFixed(digits)).join(', ')})`;
      console.log(`| ${variant} | ${threads} | ${figure(images, 1)} | ${figure(texts, 1)} | ${figure(imageLatency, 0)} | ${figure(textLatency, 0)} |`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
