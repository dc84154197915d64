/**
 * A model rollout on the embedder: the bundled model serves (MODEL_DIR) while the tiny random-weight CLIP
 * (pulled from a local hub in the real layout) is loaded beside it (ROLLOUT_MODEL_DIR); each request names
 * the model whose vectors it wants, and gets that model's vectors.
 * real: FakeHub (node:http), pullModel, the embedder as its own process (services/embedder/src/main.ts) with
 * two ModelRuntimes on onnxruntime-node, gRPC through EmbedderClient; reference vectors of the bundled model
 * from a separate ModelRuntime, of the tiny model from Hugging Face `transformers` (reference-outputs.json).
 * mock: nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { EmbedderCallError, EmbedderClient } from '@vsearch/grpc-clients';
import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import { startService, type RunningService } from '@vsearch/testing';
import type { FakeHub } from './fake-hub.testing';
import { pullModel } from './pull-model';
import { cosine, rawPixels, readReferenceOutputs, tinyClipHub } from './tiny-clip-fixture.testing';

const REPO = 'test-org/tiny-clip-random';
const reference = readReferenceOutputs();

describe('embedder during a model rollout: two real models side by side, chosen per request', () => {
  let hub: FakeHub;
  let modelsDir: string;
  let embedder: RunningService;
  let client: EmbedderClient;
  let bundled: ModelRuntime;
  let servingId: string;
  let rolloutId: string;

  beforeAll(async () => {
    hub = tinyClipHub(REPO);
    await hub.start();
    modelsDir = mkdtempSync(path.join(os.tmpdir(), 'rollout-models-'));
    const pulled = await pullModel({ name: 'tiny-clip-random', modelsDir, repo: REPO, endpoint: hub.endpoint });
    embedder = await startService('embedder', {
      env: { MODEL_DIR: BUNDLED_MODEL_DIR, ROLLOUT_MODEL_DIR: pulled.dir, INTRA_OP_THREADS: 1, INFERENCE_WORKERS: 1 },
    });
    client = new EmbedderClient({ address: embedder.address, defaultDeadlineMs: 30_000 });
    bundled = await ModelRuntime.load(BUNDLED_MODEL_DIR, { executionProviders: ['cpu'], intraOpThreads: 1 });
    servingId = bundled.info().modelId;
    rolloutId = (await client.getModelInfo()).loadedModelIds?.[1] ?? '';
  });

  afterAll(async () => {
    client?.close();
    await embedder?.stop();
    await bundled?.close();
    await hub?.stop();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  });

  it('lists both models, the serving one first, and describes each by id', async () => {
    const serving = await client.getModelInfo();
    expect(serving).toMatchObject({ modelId: servingId, dimension: bundled.info().dimension, imageSize: bundled.info().imageSize });
    expect(serving.loadedModelIds).toEqual([servingId, expect.stringMatching(/^tiny-clip-random@/)]);
    const rollout = await client.getModelInfo({ modelId: rolloutId });
    expect(rollout).toMatchObject({ modelId: rolloutId, dimension: reference.embeddingDimension, imageSize: 224, loadedModelIds: [servingId, rolloutId] });
  });

  it("answers each text with the named model's vectors, and the serving model's when none is named", async () => {
    const texts = reference.texts.filter((entry) => entry.text !== '').slice(0, 4);
    const [byRollout, byServing, byDefault] = await Promise.all([
      client.embedTexts(
        texts.map((entry) => entry.text),
        { modelId: rolloutId },
      ),
      client.embedTexts(
        texts.map((entry) => entry.text),
        { modelId: servingId },
      ),
      client.embedTexts(texts.map((entry) => entry.text)),
    ]);
    texts.forEach((entry, row) => expect(cosine(byRollout[row], entry.embedding)).toBeGreaterThanOrEqual(0.9999));
    const expected = await bundled.embedTexts(texts.map((entry) => entry.text));
    const dimension = bundled.info().dimension;
    texts.forEach((_, row) => {
      const want = expected.subarray(row * dimension, (row + 1) * dimension);
      expect(cosine(byServing[row], want)).toBeGreaterThanOrEqual(0.9999);
      expect(cosine(byDefault[row], want)).toBeGreaterThanOrEqual(0.9999);
    });
  });

  it("embeds pixels at the named model's own input size", async () => {
    const images = reference.images.filter((image) => image.sentAs === 'pixels').slice(0, 2);
    const got = await client.embedPixels(await Promise.all(images.map(rawPixels)), { modelId: rolloutId });
    images.forEach((image, row) => expect(cosine(got[row], image.embedding)).toBeGreaterThanOrEqual(0.9999));
    // 224×224 pixels are the wrong size for the serving model: the request is checked against the model it names.
    const refused = await client.embedPixels(await Promise.all(images.map(rawPixels)), { modelId: servingId }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('refuses a model that is not loaded with NOT_FOUND naming the loaded ones', async () => {
    for (const call of [() => client.embedTexts(['red boots'], { modelId: 'clip-mini@0.9.0' }), () => client.getModelInfo({ modelId: 'clip-mini@0.9.0' })]) {
      const error = await call().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(EmbedderCallError);
      expect(error).toMatchObject({ code: status.NOT_FOUND });
      expect((error as EmbedderCallError).details).toEqual(expect.stringContaining(`loaded: ${servingId}, ${rolloutId}`));
    }
  });
});
