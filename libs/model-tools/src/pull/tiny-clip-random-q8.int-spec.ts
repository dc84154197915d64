/**
 * A precision variant end to end: the committed tiny random-weight CLIP pulled with `dtype: 'q8'` (the
 * dynamic int8 `onnx/*_quantized.onnx` files Transformers.js repositories publish beside the fp32 ones),
 * served by the embedder, and held to the fp32 outputs of Hugging Face `transformers` within the accuracy a
 * quantized model can have (cosine 0.99; measured 0.9976 at worst, see docs/benchmarks.md "ViT-B/32 geometry").
 * real: FakeHub (node:http: LFS redirect with X-Linked-Etag, git ETags), pullModel over undici fetch,
 * onnxruntime-node, @huggingface/tokenizers with the 49,408-token CLIP BPE, the embedder as its own process
 * (services/embedder/src/main.ts) with sharp, gRPC through EmbedderClient. mock: nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbedderClient } from '@vsearch/grpc-clients';
import { loadModelDirectory, verifyModelFiles } from '@vsearch/model';
import { startService, type RunningService } from '@vsearch/testing';
import { FAKE_COMMIT, type FakeHub } from './fake-hub.testing';
import { pullModel, type PullModelResult } from './pull-model';
import { closestDistinctPair, cosine, rawPixels, readReferenceOutputs, tinyClipHub, TINY_CLIP_FIXTURE_DIR } from './tiny-clip-fixture.testing';

const REPO = 'test-org/tiny-clip-random';
const reference = readReferenceOutputs();

/**
 * How close a q8 embedding must come to its fp32 reference. Dynamic int8 quantization of this graph moves
 * an embedding to cosine 0.9976–0.9995 (texts and images, measured with training/random-clip/bench-raw.ts
 * --agreement-only), while two different reference inputs are at most at 0.82 (texts) and 0.66 (images):
 * 0.99 leaves room for onnxruntime's kernels on other CPUs and still tells the right input from a wrong one.
 */
const MIN_COSINE_TO_FP32 = 0.99;

describe('tiny random CLIP fixture, q8 variant: pulled, recorded, served, and close to the fp32 references', () => {
  let hub: FakeHub;
  let modelsDir: string;
  let pulled: PullModelResult;
  let embedder: RunningService;
  let client: EmbedderClient;

  beforeAll(async () => {
    hub = tinyClipHub(REPO);
    await hub.start();
    modelsDir = mkdtempSync(path.join(os.tmpdir(), 'tiny-clip-q8-'));
    pulled = await pullModel({ name: 'tiny-clip-random', modelsDir, repo: REPO, endpoint: hub.endpoint, dtype: 'q8' });
    embedder = await startService('embedder', { env: { MODEL_DIR: pulled.dir, INTRA_OP_THREADS: 1 } });
    client = new EmbedderClient({ address: embedder.address, defaultDeadlineMs: 30_000 });
  });

  afterAll(async () => {
    client?.close();
    await embedder?.stop();
    await hub?.stop();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  });

  it('pulls the quantized towers only and records the variant in model.json and the model id', async () => {
    for (const [tower, file] of [
      ['vision', 'onnx/vision_model_quantized.onnx'],
      ['text', 'onnx/text_model_quantized.onnx'],
    ] as const) {
      expect(hub.contentRequests(file).map((request) => request.url)).toEqual([`/cdn/${hub.sha256(file)}`]);
      expect(pulled.files.find((entry) => entry.file === file)).toMatchObject({ verifiedAgainst: 'hub', sha256: hub.sha256(file) });
      expect(loadModelDirectory(pulled.dir).manifest.files[tower].sha256).toBe(hub.sha256(file));
    }
    // The fp32 towers are not fetched at all: a q8 pull costs the q8 files' size.
    expect(hub.contentRequests('onnx/vision_model.onnx')).toEqual([]);
    expect(hub.contentRequests('onnx/text_model.onnx')).toEqual([]);
    const loaded = loadModelDirectory(pulled.dir);
    await expect(verifyModelFiles(loaded)).resolves.toBeUndefined();
    expect(loaded.manifest.dtype).toBe('q8');
    expect(loaded.id).toBe(`tiny-clip-random@${FAKE_COMMIT}+q8`);
    const written = JSON.parse(readFileSync(path.join(pulled.dir, 'model.json'), 'utf8')) as { dtype?: string };
    expect(written.dtype).toBe('q8');
  });

  it('serves under the variant’s model id, so an index built with fp32 vectors is never mixed with q8 ones', async () => {
    await expect(client.getModelInfo()).resolves.toMatchObject({
      modelId: `tiny-clip-random@${FAKE_COMMIT}+q8`,
      dimension: reference.embeddingDimension,
      imageSize: 224,
      contextLength: 77,
    });
  });

  it('embeds the reference texts over gRPC at cosine ≥ 0.99 to the fp32 references, and not identically', async () => {
    expect(closestDistinctPair(reference.texts.map((entry) => entry.embedding))).toBeLessThan(MIN_COSINE_TO_FP32);
    // The embedder refuses an empty text (INVALID_ARGUMENT).
    const texts = reference.texts.filter((entry) => entry.text !== '');
    const got = await client.embedTexts(texts.map((entry) => entry.text));
    const cosines = texts.map((entry, row) => ({ text: entry.text, cosine: cosine(got[row], entry.embedding) }));
    expect(cosines.filter((result) => result.cosine < MIN_COSINE_TO_FP32)).toEqual([]);
    // Identical to fp32 would mean the fp32 graph ran after all (the fp32 spec holds those to 0.9999).
    expect(Math.min(...cosines.map((result) => result.cosine))).toBeLessThan(0.9999);
  });

  it('embeds the reference pixels and the JPEG over gRPC at cosine ≥ 0.99 to the fp32 references', async () => {
    expect(closestDistinctPair(reference.images.map((image) => image.embedding))).toBeLessThan(MIN_COSINE_TO_FP32);
    const pixelImages = reference.images.filter((image) => image.sentAs === 'pixels');
    const encodedImages = reference.images.filter((image) => image.sentAs === 'encoded');
    expect(pixelImages.length).toBeGreaterThanOrEqual(3);
    expect(encodedImages.length).toBeGreaterThanOrEqual(1);
    const fromPixels = await client.embedPixels(await Promise.all(pixelImages.map(rawPixels)));
    const fromFiles = await client.embedEncodedImages(encodedImages.map((image) => readFileSync(path.join(TINY_CLIP_FIXTURE_DIR, image.file))));
    const cosines = [
      ...pixelImages.map((image, row) => ({ file: image.file, cosine: cosine(fromPixels[row], image.embedding) })),
      ...encodedImages.map((image, row) => ({ file: image.file, cosine: cosine(fromFiles[row], image.embedding) })),
    ];
    expect(cosines.filter((result) => result.cosine < MIN_COSINE_TO_FP32)).toEqual([]);
    expect(Math.min(...cosines.map((result) => result.cosine))).toBeLessThan(0.9999);
  });
});
