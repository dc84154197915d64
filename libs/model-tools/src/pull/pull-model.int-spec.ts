/**
 * real: a local node:http server speaking the hub's file API (FakeHub), undici fetch, the file system,
 * onnxruntime-node (it is asked to read the fake graphs and declines). mock: nothing.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isModelInUse, loadModelDirectory, markModelInUse, verifyModelFiles } from '@vsearch/model';
import { ModelPullError } from './errors';
import { FAKE_COMMIT, FakeHub } from './fake-hub.testing';
import { listModels, pullModel, type PullModelOptions } from './pull-model';

const REPO = 'test-org/clip-test';

async function expectPullError(promise: Promise<unknown>, code: ModelPullError['code']): Promise<ModelPullError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelPullError);
  expect((error as ModelPullError).code).toBe(code);
  return error as ModelPullError;
}

describe(pullModel.name, () => {
  let hub: FakeHub;
  let modelsDir: string;
  const logs: string[] = [];
  const options = (overrides: Partial<PullModelOptions> = {}): PullModelOptions => ({
    name: 'clip-test',
    modelsDir,
    repo: REPO,
    endpoint: hub.endpoint,
    retryDelayMs: 10,
    onLog: (line) => logs.push(line),
    ...overrides,
  });

  beforeEach(async () => {
    hub = FakeHub.clipFixtures(REPO);
    await hub.start();
    modelsDir = mkdtempSync(path.join(os.tmpdir(), 'models-pull-'));
    logs.length = 0;
  });

  afterEach(async () => {
    await hub.stop();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('downloads the towers, tokenizer and configs, verifies them and writes a valid model.json', async () => {
    const progress: number[] = [];
    const result = await pullModel(options({ onProgress: (p) => progress.push(p.receivedBytes) }));
    const dir = path.join(modelsDir, 'clip-test');
    expect(result.dir).toBe(dir);
    const loaded = loadModelDirectory(dir);
    await expect(verifyModelFiles(loaded)).resolves.toBeUndefined();
    expect(loaded.manifest).toMatchObject({
      name: 'clip-test',
      version: FAKE_COMMIT,
      embeddingDimension: 512,
      image: {
        size: 224,
        mean: [0.48145466, 0.4578275, 0.40821073],
        std: [0.26862954, 0.26130258, 0.27577711],
        inputName: 'pixel_values',
        outputName: 'image_embeds',
      },
      text: { contextLength: 77, padTokenId: 49407, inputIdsName: 'input_ids', outputName: 'text_embeds' },
    });
    // No cut-off is guessed: the written file leaves them out (text falls back to the schema's 0) until calibrated.
    const written = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(written).not.toHaveProperty('textSearchScoreThreshold');
    expect(written).not.toHaveProperty('imageSearchScoreThreshold');
    expect(written.dtype).toBe('fp32');
    expect(loaded.id).toBe(`clip-test@${FAKE_COMMIT}`);
    expect(logs.some((line) => line.includes('no score cut-offs yet') && line.includes('vsearch models calibrate'))).toBe(true);
    expect(loaded.manifest.files.vision).toEqual({ path: 'vision.onnx', sha256: hub.sha256('onnx/vision_model.onnx'), bytes: 300_000 });
    expect(readFileSync(path.join(dir, 'text.onnx')).equals(hub.files.get('onnx/text_model.onnx')!.body)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.json', 'preprocessor_config.json', 'text.onnx', 'tokenizer.json', 'vision.onnx']);
    // LFS files are checked against the hub's X-Linked-Etag; small files have no published sha256.
    expect(result.files.find((file) => file.file === 'onnx/vision_model.onnx')!.verifiedAgainst).toBe('hub');
    expect(result.files.find((file) => file.file === 'tokenizer.json')!.verifiedAgainst).toBe('none');
    expect(progress.length).toBeGreaterThan(3);
    expect(readdirSync(modelsDir)).toEqual(['clip-test']);
  });

  it('resumes a transfer that broke off, with a Range request from the bytes it already has', async () => {
    hub.truncateNext.add('onnx/vision_model.onnx');
    await pullModel(options());
    const transfers = hub.contentRequests('onnx/vision_model.onnx');
    expect(transfers).toHaveLength(2);
    expect(transfers[0].range).toBeUndefined();
    // The hub sent half of the 300,000 bytes before cutting the connection; how much of it reached the
    // .part file before the client saw the break depends on scheduling, so the resume point is read
    // from what the client reported, and must be a real point inside what was sent.
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(transfers[1].range ?? '')?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThanOrEqual(150_000);
    expect(logs.some((line) => new RegExp(`broke off.*resuming from byte ${resumedFrom}\\b`).test(line))).toBe(true);
    await expect(verifyModelFiles(loadModelDirectory(path.join(modelsDir, 'clip-test')))).resolves.toBeUndefined();
  });

  it('resumes in a later run what an earlier run left in its .part file', async () => {
    hub.truncateNext.add('onnx/text_model.onnx');
    await expectPullError(pullModel(options({ maxAttempts: 1 })), 'interrupted');
    const part = path.join(modelsDir, '.pull-clip-test', 'text.onnx.part');
    // At most the half (100,000 of 200,000 bytes) the hub sent; how much reached disk depends on scheduling.
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);
    expect(existsSync(path.join(modelsDir, 'clip-test'))).toBe(false);

    const result = await pullModel(options());
    expect(result.files.find((file) => file.file === 'onnx/text_model.onnx')!.resumedFrom).toBe(kept);
    expect(hub.contentRequests('onnx/text_model.onnx').at(-1)!.range).toBe(`bytes=${kept}-`);
    await expect(verifyModelFiles(loadModelDirectory(path.join(modelsDir, 'clip-test')))).resolves.toBeUndefined();
  });

  it('names the missing file when the hub answers 404', async () => {
    hub.files.delete('onnx/text_model.onnx');
    const error = await expectPullError(pullModel(options()), 'not_found');
    expect(error.message).toContain('onnx/text_model.onnx');
    expect(error.message).toContain('404');
    expect(existsSync(path.join(modelsDir, 'clip-test'))).toBe(false);
  });

  it('leaves no staging directory behind when a file is missing after the towers were downloaded', async () => {
    hub.files.delete('tokenizer.json');
    const error = await expectPullError(pullModel(options()), 'not_found');
    expect(error.message).toContain('tokenizer.json');
    expect(hub.contentRequests('onnx/text_model.onnx')).toHaveLength(1);
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('pulls the variant --dtype names, records it in model.json and the model id', async () => {
    hub.files.set('onnx/vision_model_quantized.onnx', { body: randomBytes(90_000), lfs: true });
    hub.files.set('onnx/text_model_quantized.onnx', { body: randomBytes(60_000), lfs: true });
    const result = await pullModel(options({ dtype: 'q8' }));
    const loaded = loadModelDirectory(result.dir);
    expect(loaded.manifest.dtype).toBe('q8');
    expect(loaded.id).toBe(`clip-test@${FAKE_COMMIT}+q8`);
    expect(loaded.manifest.files.vision.sha256).toBe(hub.sha256('onnx/vision_model_quantized.onnx'));
    expect(loaded.manifest.files.text.sha256).toBe(hub.sha256('onnx/text_model_quantized.onnx'));
    expect(hub.contentRequests('onnx/vision_model.onnx')).toEqual([]);
    await expect(verifyModelFiles(loaded)).resolves.toBeUndefined();
  });

  it('names the variants the repository has when the asked one is missing, before downloading anything', async () => {
    hub.files.set('onnx/vision_model_fp16.onnx', { body: randomBytes(1000), lfs: true });
    hub.files.set('onnx/text_model_fp16.onnx', { body: randomBytes(1000), lfs: true });
    // Half a variant is no variant.
    hub.files.set('onnx/vision_model_int8.onnx', { body: randomBytes(1000), lfs: true });
    const error = await expectPullError(pullModel(options({ dtype: 'q8' })), 'not_found');
    expect(error.message).toContain(`${REPO} has no q8 variant`);
    expect(error.message).toContain('onnx/vision_model_quantized.onnx was not found');
    expect(error.message).toMatch(/variants it has: fp32, fp16 \(pass --dtype\)$/);
    expect(hub.requests.filter((request) => request.method === 'GET')).toEqual([]);
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('refuses --dtype together with tower files named by hand', async () => {
    const error = await expectPullError(pullModel(options({ dtype: 'q8', remoteFiles: { vision: 'onnx/vision_model.onnx' } })), 'invalid');
    expect(error.message).toContain('--dtype');
  });

  it('tolerates a repository without the optional configs (CLIP ViT-B/32 defaults)', async () => {
    hub.files.delete('config.json');
    hub.files.delete('preprocessor_config.json');
    const { manifest } = await pullModel(options());
    expect(manifest).toMatchObject({ embeddingDimension: 512, image: { size: 224 }, text: { contextLength: 77 } });
    expect(logs.some((line) => line.includes('config.json: not in the repository'))).toBe(true);
  });

  it('removes the file and fails when the sha256 does not match the hub', async () => {
    hub.wrongDigest.add('onnx/vision_model.onnx');
    const error = await expectPullError(pullModel(options()), 'checksum');
    expect(error.message).toContain('onnx/vision_model.onnx');
    expect(error.message).toContain('f'.repeat(64));
    // The bad file is deleted, and with no partial download left to resume the staging directory goes too.
    expect(existsSync(path.join(modelsDir, '.pull-clip-test'))).toBe(false);
    expect(existsSync(path.join(modelsDir, 'clip-test'))).toBe(false);
  });

  it('fails on a --sha256 option that does not match', async () => {
    const error = await expectPullError(pullModel(options({ sha256: { 'tokenizer.json': '0'.repeat(64) } })), 'checksum');
    expect(error.message).toContain('tokenizer.json');
  });

  it('refuses to overwrite a model, replaces it with force, and never while it is in use', async () => {
    await pullModel(options());
    const dir = path.join(modelsDir, 'clip-test');
    const error = await expectPullError(pullModel(options()), 'exists');
    expect(error.message).toContain('--force');

    const marker = markModelInUse(dir);
    expect(isModelInUse(dir)).toBe(true);
    await expectPullError(pullModel(options({ force: true })), 'in_use');
    expect(existsSync(path.join(dir, 'model.json'))).toBe(true);
    marker.release();
    expect(isModelInUse(dir)).toBe(false);

    hub.files.set('tokenizer.json', { body: Buffer.from('{"version":"1.0","added_tokens":[{"id":7,"content":"<|endoftext|>"}]}'), lfs: false });
    const replaced = await pullModel(options({ force: true }));
    expect(replaced.manifest.text.padTokenId).toBe(7);
    expect(readdirSync(modelsDir)).toEqual(['clip-test']);
  });

  it('ignores the in-use marker of a process that has exited', async () => {
    await pullModel(options());
    const dir = path.join(modelsDir, 'clip-test');
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(child.stdout.toString());
    mkdirSync(path.join(dir, '.in-use'), { recursive: true });
    writeFileSync(path.join(dir, '.in-use', `${os.hostname()}.${deadPid}.json`), JSON.stringify({ hostname: os.hostname(), pid: deadPid, since: 'then' }));
    expect(isModelInUse(dir)).toBe(false);
    await expect(pullModel(options({ force: true }))).resolves.toBeDefined();
  });

  it('lists installed models', async () => {
    await pullModel(options());
    mkdirSync(path.join(modelsDir, 'broken'));
    const models = listModels(modelsDir);
    expect(models.map((model) => model.name)).toEqual(['broken', 'clip-test']);
    expect(models[1]).toMatchObject({ manifest: { embeddingDimension: 512 }, inUse: false });
    expect(models[1].bytes).toBeGreaterThan(500_000);
    expect(models[0].problem).toContain('no model.json');
  });

  it('refuses bad names and unknown repositories', async () => {
    await expectPullError(pullModel(options({ name: '../evil' })), 'invalid');
    await expectPullError(pullModel(options({ name: 'unknown-model', repo: undefined })), 'invalid');
  });
});
