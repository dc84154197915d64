/**
 * real: onnxruntime-node, the bundled model directory (models/clip-mini) and its tokenizer.
 * mock: nothing.
 */
import { maxAbsDifference, readFloat32File } from '@vsearch/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_MODEL_DIR } from '../manifest';
import { ModelRuntime, ModelRuntimeError } from './model-runtime';
import { l2NormalizeRows } from './l2-normalize';

interface Reference {
  imageCount: number;
  embeddingDimension: number;
  texts: string[];
  inputIds: number[][];
  attentionMask: number[][];
}

const referenceDir = path.join(BUNDLED_MODEL_DIR, 'reference');
const reference = JSON.parse(readFileSync(path.join(referenceDir, 'reference.json'), 'utf8')) as Reference;
const readF32 = (file: string) => readFloat32File(referenceDir, file);

function rowNorms(vectors: Float32Array, dimension: number): number[] {
  const norms: number[] = [];
  for (let row = 0; row < vectors.length / dimension; row++) {
    norms.push(Math.hypot(...vectors.subarray(row * dimension, (row + 1) * dimension)));
  }
  return norms;
}

// The last row adds a two-thread latency worker per tower: a lone run (every test below but the
// batch one) computes there, so the reference checks hold for it too.
describe.each([
  ['main', 1, 0],
  ['worker', 1, 0],
  ['worker', 2, 0],
  ['worker', 2, 2],
] as const)(
  `${ModelRuntime.name} (inference on the %s thread, %i per tower, latency worker threads %i)`,
  (inferenceThread, inferenceWorkers, latencyWorkerThreads) => {
    let runtime: ModelRuntime;
    const skipped: string[] = [];

    beforeAll(async () => {
      runtime = await ModelRuntime.load(BUNDLED_MODEL_DIR, {
        executionProviders: ['cuda', 'cpu'],
        intraOpThreads: 1,
        inferenceThread,
        inferenceWorkers,
        latencyWorkerThreads,
        onProviderSkipped: (provider) => skipped.push(provider),
      });
    });

    afterAll(() => runtime.close());

    it('falls back to the CPU provider when CUDA is not available here, and says so', () => {
      const info = runtime.info();
      expect(info.executionProvider).toBe('cpu');
      expect(info.inferenceThread).toBe(inferenceThread);
      expect(info.inferenceWorkers).toBe(inferenceWorkers);
      expect(info.latencyWorkerThreads).toBe(latencyWorkerThreads);
      expect(runtime.liveWorkers('image')).toBe(inferenceWorkers);
      expect(runtime.liveWorkers('text')).toBe(inferenceWorkers);
      expect(skipped).toEqual(['cuda']);
      expect(info.skippedProviders.map((entry) => entry.provider)).toEqual(['cuda']);
      expect(info.dimension).toBe(reference.embeddingDimension);
      expect(info.modelId).toBe(`${runtime.model.manifest.name}@${runtime.model.manifest.version}`);
    });

    it('tokenises exactly like the training-side reference: padding, truncation, attention mask', () => {
      const tokens = runtime.tokenize(reference.texts);
      const length = tokens.contextLength;
      reference.texts.forEach((_, row) => {
        expect(Array.from(tokens.inputIds.subarray(row * length, (row + 1) * length), Number)).toEqual(reference.inputIds[row]);
        expect(Array.from(tokens.attentionMask.subarray(row * length, (row + 1) * length), Number)).toEqual(reference.attentionMask[row]);
      });
      const long = runtime.tokenize(['red '.repeat(500)]);
      expect(long.truncated).toEqual([true]);
      expect(long.inputIds.length).toBe(length);
    });

    it('embeds images like the PyTorch reference, as unit vectors', async () => {
      const dimension = reference.embeddingDimension;
      const vectors = await runtime.embedImageBatch(readF32('pixel_values.f32'), reference.imageCount);
      expect(vectors.length).toBe(reference.imageCount * dimension);
      for (const norm of rowNorms(vectors, dimension)) expect(norm).toBeCloseTo(1, 5);
      const expected = l2NormalizeRows(readF32('image_embeds.f32'), reference.imageCount, dimension);
      expect(maxAbsDifference(vectors, expected)).toBeLessThan(1e-4);
    });

    it('embeds texts like the PyTorch reference, as unit vectors', async () => {
      const dimension = reference.embeddingDimension;
      const nonEmpty = reference.texts.map((text, row) => ({ text, row })).filter(({ text }) => text.length > 0);
      const vectors = await runtime.embedTexts(nonEmpty.map(({ text }) => text));
      const all = readF32('text_embeds.f32');
      const expected = l2NormalizeRows(
        Float32Array.from(nonEmpty.flatMap(({ row }) => Array.from(all.subarray(row * dimension, (row + 1) * dimension)))),
        nonEmpty.length,
        dimension,
      );
      for (const norm of rowNorms(vectors, dimension)) expect(norm).toBeCloseTo(1, 5);
      expect(maxAbsDifference(vectors, expected)).toBeLessThan(1e-4);
    });

    it('gives a batch the same vectors as one item at a time', async () => {
      const texts = ['a red striped t-shirt', 'a photo of a mug', 'a black solid sneaker'];
      const batched = await runtime.embedTexts(texts);
      const single = new Float32Array(batched.length);
      for (const [row, text] of texts.entries()) single.set(await runtime.embedTexts([text]), row * reference.embeddingDimension);
      expect(maxAbsDifference(batched, single)).toBeLessThan(1e-5);
    });

    it('warms up both towers and refuses inputs of the wrong size', async () => {
      await runtime.warmUp(4);
      await expect(runtime.embedImageBatch(new Float32Array(10), 1)).rejects.toThrow(ModelRuntimeError);
      await expect(runtime.embedTextBatch(new BigInt64Array(3), new BigInt64Array(3), 1)).rejects.toThrow(/need 16 token ids/);
    });

    it('fails to load with a message naming the missing provider list when none works', async () => {
      await expect(ModelRuntime.load(BUNDLED_MODEL_DIR, { executionProviders: ['cuda'], inferenceThread })).rejects.toThrow(
        /no execution provider of \[cuda\]/,
      );
    });

    it('refuses to run once closed', async () => {
      const closing = await ModelRuntime.load(BUNDLED_MODEL_DIR, { executionProviders: ['cpu'], intraOpThreads: 1, inferenceThread });
      await closing.close();
      await expect(closing.embedTexts(['a red mug'])).rejects.toThrow(/closed/);
    });
  },
);
