/**
 * A real-architecture CLIP end to end: the committed tiny random-weight model (the structure, tokenizer and
 * input geometry of a Transformers.js CLIP export) pulled from a local hub in the real layout, served by the
 * embedder, and held to the outputs of Hugging Face `transformers` recorded by
 * training/random-clip/build_random_clip.py.
 * real: FakeHub (node:http: LFS redirect with X-Linked-Etag, git ETags), pullModel over undici fetch,
 * onnxruntime-node, @huggingface/tokenizers with the 49,408-token CLIP BPE, the embedder as its own process
 * (services/embedder/src/main.ts) with sharp, gRPC through EmbedderClient. mock: nothing.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbedderClient } from '@vsearch/grpc-clients';
import { loadModelDirectory, TextTokenizer, verifyModelFiles } from '@vsearch/model';
import { startService, type RunningService } from '@vsearch/testing';
import { FAKE_COMMIT, type FakeHub } from './fake-hub.testing';
import { pullModel, type PullModelResult } from './pull-model';
import { closestDistinctPair, cosine, rawPixels, readReferenceOutputs, tinyClipHub, TINY_CLIP_FIXTURE_DIR } from './tiny-clip-fixture.testing';

const REPO = 'test-org/tiny-clip-random';
const reference = readReferenceOutputs();

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('tiny random CLIP fixture: pulled, served, and equal to Hugging Face transformers', () => {
  let hub: FakeHub;
  let modelsDir: string;
  let pulled: PullModelResult;
  let embedder: RunningService;
  let client: EmbedderClient;

  beforeAll(async () => {
    hub = tinyClipHub(REPO);
    await hub.start();
    modelsDir = mkdtempSync(path.join(os.tmpdir(), 'tiny-clip-'));
    pulled = await pullModel({ name: 'tiny-clip-random', modelsDir, repo: REPO, endpoint: hub.endpoint });
    embedder = await startService('embedder', { env: { MODEL_DIR: pulled.dir, INTRA_OP_THREADS: 1 } });
    client = new EmbedderClient({ address: embedder.address, defaultDeadlineMs: 30_000 });
  });

  afterAll(async () => {
    client?.close();
    await embedder?.stop();
    await hub?.stop();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  });

  it('pulls the export through the LFS redirect, verified against the hub’s digests, into a model.json describing it', async () => {
    for (const file of ['onnx/text_model.onnx', 'onnx/vision_model.onnx']) {
      expect(hub.contentRequests(file).map((request) => request.url)).toEqual([`/cdn/${hub.sha256(file)}`]);
      expect(pulled.files.find((entry) => entry.file === file)).toMatchObject({ verifiedAgainst: 'hub', sha256: hub.sha256(file) });
    }
    const loaded = loadModelDirectory(pulled.dir);
    await expect(verifyModelFiles(loaded)).resolves.toBeUndefined();
    expect(loaded.manifest).toMatchObject({
      version: FAKE_COMMIT,
      embeddingDimension: reference.embeddingDimension,
      image: { size: 224, inputName: 'pixel_values', outputName: 'image_embeds', mean: [0.48145466, 0.4578275, 0.40821073] },
      // CLIP pads with <|endoftext|>; the export takes an attention mask and has last_hidden_state beside the embeddings.
      text: { contextLength: 77, padTokenId: 49407, inputIdsName: 'input_ids', attentionMaskName: 'attention_mask', outputName: 'text_embeds' },
    });
    expect(readFileSync(path.join(pulled.dir, 'tokenizer.json')).equals(readFileSync(path.join(TINY_CLIP_FIXTURE_DIR, 'tokenizer.json')))).toBe(true);
  });

  it('tokenises every reference text (accents, punctuation, emoji, CJK, whitespace, empty, over 77 tokens) to the ids of Python tokenizers', () => {
    const { manifest } = loadModelDirectory(pulled.dir);
    const tokenizer = TextTokenizer.fromFile(path.join(pulled.dir, 'tokenizer.json'), manifest.text);
    const tokens = tokenizer.tokenize(reference.texts.map((entry) => entry.text));
    const length = tokens.contextLength;
    expect(reference.texts.some((entry) => entry.truncated)).toBe(true);
    reference.texts.forEach((entry, row) => {
      const ids = Array.from(tokens.inputIds.subarray(row * length, (row + 1) * length), Number);
      const mask = Array.from(tokens.attentionMask.subarray(row * length, (row + 1) * length), Number);
      expect({ text: entry.text, ids, mask, truncated: tokens.truncated[row] }).toEqual({
        text: entry.text,
        ids: entry.inputIds,
        mask: entry.attentionMask,
        truncated: entry.truncated,
      });
    });
  });

  it('describes the pulled model over gRPC', async () => {
    await expect(client.getModelInfo()).resolves.toMatchObject({ dimension: reference.embeddingDimension, imageSize: 224, contextLength: 77 });
  });

  it('embeds the reference texts over gRPC within 1e-4 of PyTorch', async () => {
    // The tolerance must separate texts: no two different texts may come as close as it allows.
    expect(closestDistinctPair(reference.texts.map((entry) => entry.embedding))).toBeLessThan(0.99);
    // The embedder refuses an empty text (INVALID_ARGUMENT); its token ids are checked above.
    const texts = reference.texts.filter((entry) => entry.text !== '');
    const got = await client.embedTexts(texts.map((entry) => entry.text));
    const outside = texts
      .map((entry, row) => ({ text: entry.text, cosine: cosine(got[row], entry.embedding), maxAbs: maxAbsDifference(got[row], entry.embedding) }))
      .filter((result) => result.cosine < 0.9999 || result.maxAbs > 1e-4);
    expect(outside).toEqual([]);
  });

  it('embeds the reference pixels over gRPC within 1e-4 of PyTorch', async () => {
    const images = reference.images.filter((image) => image.sentAs === 'pixels');
    expect(images.length).toBeGreaterThanOrEqual(3);
    expect(closestDistinctPair(reference.images.map((image) => image.embedding))).toBeLessThan(0.99);
    const got = await client.embedPixels(await Promise.all(images.map(rawPixels)));
    const outside = images
      .map((image, row) => ({ file: image.file, cosine: cosine(got[row], image.embedding), maxAbs: maxAbsDifference(got[row], image.embedding) }))
      .filter((result) => result.cosine < 0.9999 || result.maxAbs > 1e-4);
    expect(outside).toEqual([]);
  });

  it('embeds a non-square JPEG it decodes, resizes and crops itself close to PyTorch on PIL’s preprocessing', async () => {
    const [image] = reference.images.filter((entry) => entry.sentAs === 'encoded');
    const [got] = await client.embedEncodedImages([readFileSync(path.join(TINY_CLIP_FIXTURE_DIR, image.file))]);
    // sharp (libvips) and PIL decode and resample with their own kernels, so the pixels differ slightly (measured:
    // cosine 0.999999, max abs difference 6.5e-4); the closest two different reference images are at cosine 0.66.
    expect(cosine(got, image.embedding)).toBeGreaterThanOrEqual(0.9999);
    expect(maxAbsDifference(got, image.embedding)).toBeLessThanOrEqual(2e-3);
  });
});
