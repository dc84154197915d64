/**
 * The bundled model (models/clip-mini) against PyTorch: training/export.py stores reference
 * inputs (pixel tensors from our preprocessing, token ids from Python `tokenizers`) and the
 * PyTorch embeddings for them in models/clip-mini/reference/; onnxruntime-node must reproduce
 * them, and the JS tokenizer must produce the Python token ids.
 * real: onnxruntime-node, @huggingface/tokenizers, the committed model files. mock: nothing.
 */
import type { ProductAttributes } from '@vsearch/catalog-generator';
import { BUNDLED_MODEL_DIR, ModelRuntime, l2NormalizeRows, loadModelDirectory, verifyModelFiles } from '@vsearch/model';
import { maxAbsDifference, readFloat32File } from '@vsearch/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EVAL_PROMPTS } from './eval';

interface Reference {
  imageCount: number;
  /** What the reference images show (validation images of the training run; null for an untrained model). */
  imageAttributes: ProductAttributes[] | null;
  imageShape: [number, number, number];
  embeddingDimension: number;
  texts: string[];
  inputIds: number[][];
  attentionMask: number[][];
}

const referenceDir = path.join(BUNDLED_MODEL_DIR, 'reference');
const reference = JSON.parse(readFileSync(path.join(referenceDir, 'reference.json'), 'utf8')) as Reference;

const float32File = (name: string) => readFloat32File(referenceDir, name);

describe('bundled model clip-mini', () => {
  let runtime: ModelRuntime;

  beforeAll(async () => {
    runtime = await ModelRuntime.load(BUNDLED_MODEL_DIR, { executionProviders: ['cpu'] });
  });

  afterAll(async () => {
    await runtime?.close();
  });

  it('has files matching the sha256s in model.json and fits the 25 MB budget', async () => {
    const model = loadModelDirectory(BUNDLED_MODEL_DIR);
    await expect(verifyModelFiles(model)).resolves.toBeUndefined();
    const { files } = model.manifest;
    const bytes = [files.vision, files.text, files.tokenizer].reduce((sum, file) => sum + (file.bytes ?? 0), 0);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(25 * 1024 * 1024);
  });

  it('tokenises the reference texts to the token ids of Python tokenizers', () => {
    const tokens = runtime.tokenize(reference.texts);
    const length = tokens.contextLength;
    reference.texts.forEach((text, row) => {
      const ids = Array.from(tokens.inputIds.subarray(row * length, (row + 1) * length), Number);
      const mask = Array.from(tokens.attentionMask.subarray(row * length, (row + 1) * length), Number);
      expect({ text, ids, mask }).toEqual({ text, ids: reference.inputIds[row], mask: reference.attentionMask[row] });
    });
  });

  it('reproduces the PyTorch image embeddings of the reference pixels within 1e-4', async () => {
    const pixels = float32File('pixel_values.f32');
    const [channels, height, width] = reference.imageShape;
    expect(channels * height * width * reference.imageCount).toBe(pixels.length);
    const got = await runtime.embedImageBatch(pixels, reference.imageCount);
    const want = l2NormalizeRows(float32File('image_embeds.f32'), reference.imageCount, reference.embeddingDimension);
    expect(maxAbsDifference(got, want)).toBeLessThanOrEqual(1e-4);
  });

  it('reproduces the PyTorch text embeddings of the reference token ids within 1e-4', async () => {
    const count = reference.texts.length;
    const ids = BigInt64Array.from(reference.inputIds.flat(), BigInt);
    const mask = BigInt64Array.from(reference.attentionMask.flat(), BigInt);
    const got = await runtime.embedTextBatch(ids, mask, count);
    const want = l2NormalizeRows(float32File('text_embeds.f32'), count, reference.embeddingDimension);
    expect(maxAbsDifference(got, want)).toBeLessThanOrEqual(1e-4);
  });

  it('scores real queries above textSearchScoreThreshold and nonsense below it', async () => {
    const { textSearchScoreThreshold: threshold, version } = loadModelDirectory(BUNDLED_MODEL_DIR).manifest;
    expect(version).not.toMatch(/untrained/);
    const attributes = reference.imageAttributes!;
    const dimension = reference.embeddingDimension;
    const images = await runtime.embedImageBatch(float32File('pixel_values.f32'), reference.imageCount);
    const cosine = (a: Float32Array, row: number, b: Float32Array, column: number): number => {
      let sum = 0;
      for (let i = 0; i < dimension; i++) sum += a[row * dimension + i] * b[column * dimension + i];
      return sum;
    };
    const own = await runtime.embedTexts(attributes.map((a) => EVAL_PROMPTS.attributes(a)));
    attributes.forEach((a, i) =>
      expect({ query: EVAL_PROMPTS.attributes(a), above: cosine(images, i, own, i) > threshold }).toEqual({ query: EVAL_PROMPTS.attributes(a), above: true }),
    );
    const nonsense = ['asdfgh qwerty', 'the weather in paris', 'laptop charger', 'how to file a tax return', '12345'];
    const junk = await runtime.embedTexts(nonsense);
    nonsense.forEach((query, j) => {
      const best = Math.max(...attributes.map((_, i) => cosine(images, i, junk, j)));
      expect({ query, below: best < threshold }).toEqual({ query, below: true });
    });
  });

  it('gives the same image embedding whatever the batch it runs in (dynamic batch axis)', async () => {
    const pixels = float32File('pixel_values.f32');
    const plane = reference.imageShape.reduce((a, b) => a * b, 1);
    const all = await runtime.embedImageBatch(pixels, reference.imageCount);
    const single = await runtime.embedImageBatch(pixels.slice(plane, 2 * plane), 1);
    const dimension = reference.embeddingDimension;
    expect(maxAbsDifference(single, all.slice(dimension, 2 * dimension))).toBeLessThanOrEqual(1e-5);
  });
});
