/**
 * The bundled describer (models/describer-mini) against PyTorch: training/describer/export.py stores reference
 * inputs (validation images preprocessed by libs/preprocessing, prompt token ids from Python `tokenizers`) and
 * PyTorch's outputs for them (image tokens, first-step logits, greedy decodes with the KV cache) in
 * models/describer-mini/reference/. onnxruntime-node must reproduce them, step by step with the cache, and the
 * JS tokenizer must give the Python token ids. The greedy loop here is deliberately minimal and local to this
 * test (the serving decoder lives with the describer service).
 * real: onnxruntime-node, @huggingface/tokenizers, the committed model files. mock: nothing.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { maxAbsDifference, readFloat32File } from '@vsearch/testing';
import * as ort from 'onnxruntime-node';

const modelDir = path.resolve(__dirname, '../../../models/describer-mini');
const referenceDir = path.join(modelDir, 'reference');

interface FileEntry {
  path: string;
  sha256: string;
  bytes: number;
}

interface DescriberManifest {
  name: string;
  kind: string;
  image: { size: number; inputName: string; outputName: string };
  decoder: { layers: number; heads: number; headDim: number; vocabSize: number; imageTokens: number; width: number; maxNewTokens: number };
  tokens: { pad: number; unk: number; bos: number; eos: number; sep: number };
  prompts: { describe: string };
  cantTellAnswer: string;
  files: { imageEncoder: FileEntry; decoder: FileEntry; tokenizer: FileEntry };
}

interface ReferenceCase {
  image: number;
  question: string;
  promptIds: number[];
  firstStepLogitsShape: [number, number];
  greedyIds: number[];
  greedyText: string;
}

interface Reference {
  imageCount: number;
  imageShape: [number, number, number];
  imageTokensShape: [number, number];
  cases: ReferenceCase[];
}

const manifest = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as DescriberManifest;
const reference = JSON.parse(readFileSync(path.join(referenceDir, 'reference.json'), 'utf8')) as Reference;

const float32File = (name: string) => readFloat32File(referenceDir, name);

const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);

function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/**
 * Greedy decoding of a left-padded batch with the KV cache: the first call feeds the prompts (P = 0), every
 * later call one token per row. Rows stop at EOS; a finished row keeps being fed EOS (its output is ignored).
 */
async function greedyDecode(session: ort.InferenceSession, imageTokens: ort.Tensor, prompts: number[][]): Promise<number[][]> {
  const { layers, heads, headDim, vocabSize, maxNewTokens } = manifest.decoder;
  const batch = prompts.length;
  const width = Math.max(...prompts.map((prompt) => prompt.length));
  const mask = prompts.flatMap((prompt) => [...Array<number>(width - prompt.length).fill(0), ...prompt.map(() => 1)]);
  const ids = prompts.flatMap((prompt) => [...Array<number>(width - prompt.length).fill(manifest.tokens.pad), ...prompt]);
  const positions = prompts.flatMap((prompt) => [...Array<number>(width - prompt.length).fill(0), ...prompt.map((_, i) => i)]);
  let feeds: Record<string, ort.Tensor> = {
    input_ids: int64(ids, [batch, width]),
    position_ids: int64(positions, [batch, width]),
    attention_mask: int64(mask, [batch, width]),
    image_tokens: imageTokens,
  };
  for (let layer = 0; layer < layers; layer++) {
    feeds[`past_key_${layer}`] = new ort.Tensor('float32', new Float32Array(0), [batch, heads, 0, headDim]);
    feeds[`past_value_${layer}`] = new ort.Tensor('float32', new Float32Array(0), [batch, heads, 0, headDim]);
  }
  const outputs: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  const nextPosition = prompts.map((prompt) => prompt.length);
  let attention = mask;
  let newTokens = width;
  for (let step = 0; step < maxNewTokens && done.includes(false); step++) {
    const result = await session.run(feeds);
    const logits = result.logits.data as Float32Array;
    const chosen = prompts.map((_, row) => argmax(logits, (row * newTokens + newTokens - 1) * vocabSize, vocabSize));
    chosen.forEach((token, row) => {
      if (done[row]) return;
      if (token === manifest.tokens.eos) done[row] = true;
      else outputs[row].push(token);
    });
    const previous = attention.length / batch;
    attention = prompts.flatMap((_, row) => [...attention.slice(row * previous, (row + 1) * previous), 1]);
    feeds = {
      input_ids: int64(
        chosen.map((token, row) => (done[row] ? manifest.tokens.eos : token)),
        [batch, 1],
      ),
      position_ids: int64(
        nextPosition.map((position) => position),
        [batch, 1],
      ),
      attention_mask: int64(attention, [batch, previous + 1]),
      image_tokens: imageTokens,
    };
    nextPosition.forEach((_, row) => nextPosition[row]++);
    for (let layer = 0; layer < layers; layer++) {
      feeds[`past_key_${layer}`] = result[`present_key_${layer}`];
      feeds[`past_value_${layer}`] = result[`present_value_${layer}`];
    }
    newTokens = 1;
  }
  return outputs;
}

describe('bundled describer describer-mini', () => {
  let encoder: ort.InferenceSession;
  let decoder: ort.InferenceSession;
  let tokenizer: Tokenizer;
  const pixels = float32File('pixel_values.f32');
  const expectedImageTokens = float32File('image_tokens.f32');
  const tokensPerImage = reference.imageTokensShape[0] * reference.imageTokensShape[1];
  const imageTokensOf = (images: number[]) =>
    new ort.Tensor(
      'float32',
      Float32Array.from(images.flatMap((image) => Array.from(expectedImageTokens.subarray(image * tokensPerImage, (image + 1) * tokensPerImage)))),
      [images.length, ...reference.imageTokensShape],
    );

  beforeAll(async () => {
    const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
    encoder = await ort.InferenceSession.create(path.join(modelDir, manifest.files.imageEncoder.path), options);
    decoder = await ort.InferenceSession.create(path.join(modelDir, manifest.files.decoder.path), options);
    tokenizer = new Tokenizer(JSON.parse(readFileSync(path.join(modelDir, manifest.files.tokenizer.path), 'utf8')) as object, {});
  });

  afterAll(async () => {
    await encoder?.release();
    await decoder?.release();
  });

  it('has files matching the sha256s in model.json and stays a few MB', () => {
    expect(manifest.kind).toBe('describer');
    let bytes = 0;
    for (const file of Object.values(manifest.files)) {
      const content = readFileSync(path.join(modelDir, file.path));
      expect({ path: file.path, sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length }).toEqual(file);
      bytes += content.length;
    }
    expect(bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
  });

  it('tokenises the reference questions to the token ids of Python tokenizers, and decodes the can-not-tell answer back', () => {
    const { bos, sep, unk } = manifest.tokens;
    for (const { question, promptIds } of reference.cases) {
      expect([bos, ...tokenizer.encode(question, { add_special_tokens: false }).ids, sep]).toEqual(promptIds);
    }
    const cantTell = tokenizer.encode(manifest.cantTellAnswer, { add_special_tokens: false }).ids;
    expect(cantTell).not.toContain(unk);
    expect(tokenizer.decode(cantTell)).toBe(manifest.cantTellAnswer);
    expect(tokenizer.encode('is it zorbly?', { add_special_tokens: false }).ids).toContain(unk);
  });

  it('encodes the reference pixels to the PyTorch image tokens (max |diff| <= 1e-4)', async () => {
    const [channels, size] = reference.imageShape;
    const result = await encoder.run({
      [manifest.image.inputName]: new ort.Tensor('float32', pixels, [reference.imageCount, channels, size, size]),
    });
    const imageTokens = result[manifest.image.outputName];
    expect(imageTokens.dims).toEqual([reference.imageCount, manifest.decoder.imageTokens, manifest.decoder.width]);
    expect(maxAbsDifference(imageTokens.data as Float32Array, expectedImageTokens)).toBeLessThanOrEqual(1e-4);
  });

  it("gives each prompt's first-step logits of PyTorch (max |diff| <= 1e-3)", async () => {
    const expected = float32File('first_step_logits.f32');
    let offset = 0;
    for (const { image, promptIds, firstStepLogitsShape } of reference.cases) {
      const length = promptIds.length;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(promptIds, [1, length]),
        position_ids: int64(
          promptIds.map((_, i) => i),
          [1, length],
        ),
        attention_mask: int64(
          promptIds.map(() => 1),
          [1, length],
        ),
        image_tokens: imageTokensOf([image]),
      };
      for (let layer = 0; layer < manifest.decoder.layers; layer++) {
        for (const name of [`past_key_${layer}`, `past_value_${layer}`]) {
          feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, manifest.decoder.heads, 0, manifest.decoder.headDim]);
        }
      }
      const logits = (await decoder.run(feeds)).logits;
      expect(logits.dims).toEqual([1, ...firstStepLogitsShape]);
      const size = firstStepLogitsShape[0] * firstStepLogitsShape[1];
      expect(maxAbsDifference(logits.data as Float32Array, expected.subarray(offset, offset + size))).toBeLessThanOrEqual(1e-3);
      offset += size;
    }
    expect(offset).toBe(expected.length);
  });

  it('decodes every reference case greedily with the KV cache to the PyTorch token ids and text', async () => {
    for (const { image, promptIds, greedyIds, greedyText } of reference.cases) {
      const [ids] = await greedyDecode(decoder, imageTokensOf([image]), [promptIds]);
      expect(ids).toEqual(greedyIds);
      // The JS tokenizer's decode() rejects an empty list (an immediate EOS decodes to "").
      expect(ids.length > 0 ? tokenizer.decode(ids) : '').toBe(greedyText);
    }
  });

  it('decodes all cases as one left-padded batch to the same token ids as one by one', async () => {
    const ids = await greedyDecode(
      decoder,
      imageTokensOf(reference.cases.map(({ image }) => image)),
      reference.cases.map(({ promptIds }) => promptIds),
    );
    expect(ids).toEqual(reference.cases.map(({ greedyIds }) => greedyIds));
  });
});
