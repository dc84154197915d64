/**
 * real: the embedder service started in-process on free ports with the describer on (gRPC server,
 * the step batcher, onnxruntime-node running the bundled describer-mini on its inference worker),
 * called over gRPC through DescriberClient and grpc.health.v1; metrics read from its /metrics.
 * mock: nothing. The tokenizer the assertions use is the model directory's own tokenizer.json.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { DescriberCallError, DescriberClient, EmbedderClient } from '@vsearch/grpc-clients';
import { BUNDLED_DESCRIBER_DIR, DescriberTokenizer, loadDescriberDirectory, type LoadedDescriberDirectory } from '@vsearch/model';
import { freePort, metricValue, randomPixels, waitFor } from '@vsearch/testing';
import { startEmbedderService, type RunningEmbedderService } from './index';
import { healthProbe, startRecordingWorkers } from './testing/embedder-test-kit';

const BASE = {
  EXECUTION_PROVIDERS: 'cpu',
  INTRA_OP_THREADS: 1,
  INFERENCE_WORKERS: 1,
  // One thread per tower and one for the describer: the worker test below counts them.
  LATENCY_WORKER_THREADS: 0,
  METRICS_PORT: 0,
  EMBEDDER_HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  DESCRIBER_MODEL_DIR: BUNDLED_DESCRIBER_DIR,
  DESCRIBER_MAX_IMAGES_PER_CALL: 8,
} as const;

async function callError(promise: Promise<unknown>): Promise<DescriberCallError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DescriberCallError);
  return error as DescriberCallError;
}

describe('describer service over gRPC', () => {
  let service: RunningEmbedderService;
  let client: DescriberClient;
  let model: LoadedDescriberDirectory;
  let tokenizer: DescriberTokenizer;
  let size: number;
  const metrics = async () => (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();

  beforeAll(async () => {
    model = loadDescriberDirectory(BUNDLED_DESCRIBER_DIR);
    tokenizer = DescriberTokenizer.fromFile(model.tokenizerPath, model.manifest);
    size = model.manifest.image.size;
    service = await startEmbedderService({ ...BASE, EMBEDDER_PORT: await freePort() });
    client = new DescriberClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 60_000 });
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  /** A generation made of the model's own words, its text the tokenizer's reading of its ids, ended for a reason. */
  function expectWellFormed(generation: { text: string; tokenIds: number[]; finishReason: string }, maxNewTokens: number): void {
    const { tokens, decoder } = model.manifest;
    const special = new Set([tokens.pad, tokens.unk, tokens.bos, tokens.eos, tokens.sep]);
    expect(generation.tokenIds.length).toBeGreaterThan(0);
    expect(generation.tokenIds.length).toBeLessThanOrEqual(maxNewTokens);
    for (const id of generation.tokenIds) {
      expect(id).toBeLessThan(decoder.vocabSize);
      expect(special.has(id)).toBe(false);
    }
    expect(generation.text).toBe(tokenizer.decode(generation.tokenIds));
    expect(['stop', 'length', 'repetition']).toContain(generation.finishReason);
    if (generation.finishReason === 'length') expect(generation.tokenIds).toHaveLength(maxNewTokens);
  }

  it('reports DescriberService SERVING once warm and describes its model', async () => {
    const health = healthProbe(service.port);
    expect(await health.status('visualsearch.describer.v1.DescriberService')).toBe('SERVING');
    health.close();
    await expect(client.info()).resolves.toEqual({
      modelId: model.id,
      imageSize: size,
      resize: model.manifest.image.resize,
      crop: model.manifest.image.crop,
      maxNewTokens: model.manifest.decoder.maxNewTokens,
      maxQuestionChars: 500,
      cantTellAnswer: model.manifest.cantTellAnswer,
    });
  });

  it('describes images in the model’s own words, ended by the stop token or a limit, greedy and with beams', async () => {
    const images = [1, 2, 3].map((seed) => randomPixels(size, seed));
    const greedy = await client.describe(images, { priority: 'bulk' });
    expect(greedy.modelId).toBe(model.id);
    expect(greedy.descriptions).toHaveLength(3);
    for (const description of greedy.descriptions) expectWellFormed(description, model.manifest.decoder.maxNewTokens);

    const short = await client.describe([images[0]], { maxNewTokens: 2, beamWidth: 3 });
    expectWellFormed(short.descriptions[0], 2);
  });

  it('decodes a batch of concurrent requests exactly as it decodes each one alone, and shares steps among them', async () => {
    const images = Array.from({ length: 6 }, (_, i) => randomPixels(size, 10 + i));
    const questions = ['what colour is this product?', 'what is this?', 'is it red?', 'what pattern does it have?', 'describe this product', 'is it striped?'];
    const alone = [];
    for (const [i, image] of images.entries()) alone.push(await client.ask(image, questions[i]));

    const before = await metrics();
    const together = await Promise.all(images.map((image, i) => client.ask(image, questions[i], { priority: i % 2 === 0 ? 'interactive' : 'bulk' })));
    const after = await metrics();

    for (const [i, answer] of together.entries()) {
      expect(answer.unknownWords).toEqual([]);
      expect(answer.answer.tokenIds).toEqual(alone[i].answer.tokenIds);
      expectWellFormed(answer.answer, model.manifest.decoder.maxNewTokens);
    }
    // Rows summed over the steps taken while they ran, against the number of steps: more rows than
    // steps means steps were shared.
    const steps = metricValue(after, 'describer_step_rows_count') - metricValue(before, 'describer_step_rows_count');
    const rows = metricValue(after, 'describer_step_rows_sum') - metricValue(before, 'describer_step_rows_sum');
    expect(rows).toBeGreaterThan(steps);
    const tokens = together.reduce((sum, answer) => sum + answer.answer.tokenIds.length, 0);
    expect(
      metricValue(after, 'describer_tokens_generated_total', ['lane="interactive"']) + metricValue(after, 'describer_tokens_generated_total', ['lane="bulk"']),
    ).toBeGreaterThanOrEqual(tokens);
    expect(metricValue(after, 'describer_time_to_first_token_seconds_count', ['lane="bulk"'])).toBeGreaterThan(0);
  });

  it('answers a question with words outside the vocabulary with the can’t-tell answer, naming the words', async () => {
    const answer = await client.ask(randomPixels(size, 7), 'is it red zorbleflax quuxium?');
    expect(answer).toMatchObject({ answerable: false, unknownWords: ['zorbleflax', 'quuxium'] });
    expect(answer.answer.text).toBe(model.manifest.cantTellAnswer);
  });

  it("reads questions up to its model.json's maxQuestionTokens (training's cut) and refuses longer ones with QUESTION_TOO_LONG, unknown words or not", async () => {
    const limit = model.manifest.decoder.maxQuestionTokens;
    const answered = await client.ask(randomPixels(size, 5), 'red '.repeat(limit).trim());
    expect(answered.unknownWords).toEqual([]);
    for (const question of ['red '.repeat(limit + 1).trim(), `zorbleflax ${'red '.repeat(limit)}`.trim()]) {
      const error = await callError(client.ask(randomPixels(size, 5), question));
      expect(error).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'QUESTION_TOO_LONG', isQuestionTooLong: true });
      expect(error.details).toBe(`question: ${limit + 1} tokens (words and punctuation marks), the model reads at most ${limit} tokens`);
    }
  });

  describe('refuses bad input with INVALID_ARGUMENT naming the problem', () => {
    it.each([
      ['an image of the wrong size', () => client.describe([new Uint8Array(10)]), /images\[0\]: expected \d+ bytes .*got 10/],
      ['no image', () => client.describe([]), /images: at least one image/],
      ['too many images', () => client.describe(Array.from({ length: 9 }, () => new Uint8Array(size * size * 3))), /9 images exceed the limit of 8/],
      ['an empty question', () => client.ask(new Uint8Array(size * size * 3), '   '), /question: empty/],
      ['a 5 KB question', () => client.ask(new Uint8Array(size * size * 3), 'is it red? '.repeat(466)), /question: 5125 characters exceed the limit of 500/],
      [
        'a question longer than the model reads',
        () => client.ask(new Uint8Array(size * size * 3), 'is it red '.repeat(40)),
        /question: 120 tokens .* the model reads at most 20 tokens/,
      ],
      ['a beam width above 4', () => client.describe([new Uint8Array(size * size * 3)], { beamWidth: 5 }), /beam_width: 5 is above the limit of 4/],
      ['an ask image of the wrong size', () => client.ask(new Uint8Array(3), 'is it red?'), /image: expected \d+ bytes .*got 3/],
    ])('%s', async (_case, call, message) => {
      const error = await callError(call());
      expect(grpc.status[error.code]).toBe('INVALID_ARGUMENT');
      expect(error.details).toMatch(message);
    });
  });

  it('fails a call whose deadline passes with DEADLINE_EXCEEDED', async () => {
    const error = await callError(client.describe([randomPixels(size, 99)], { deadlineMs: 1 }));
    expect(grpc.status[error.code]).toBe('DEADLINE_EXCEEDED');
  });
});

describe('describer service when its inference worker dies for good', () => {
  it('takes only DescriberService out: it reports NOT_SERVING and answers UNAVAILABLE while embeddings keep serving', async () => {
    // A model directory of its own, so its decoder can be removed: the replacement worker cannot load it.
    const modelDir = mkdtempSync(path.join(os.tmpdir(), 'describer-model-'));
    cpSync(BUNDLED_DESCRIBER_DIR, modelDir, { recursive: true });
    const { service, created, stopRecording } = await startRecordingWorkers({ ...BASE, DESCRIBER_MODEL_DIR: modelDir, EMBEDDER_PORT: await freePort() });
    stopRecording();
    const describer = new DescriberClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 30_000 });
    const embedder = new EmbedderClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 30_000 });
    const health = healthProbe(service.port);
    try {
      // One worker per CLIP tower, then the describer's.
      expect(created).toHaveLength(3);
      const { imageSize } = await describer.info();
      await describer.describe([randomPixels(imageSize, 1)]);

      rmSync(path.join(modelDir, 'decoder.onnx'));
      await created[2].terminate();
      await waitFor(
        'DescriberService to turn NOT_SERVING',
        async () => (await health.status('visualsearch.describer.v1.DescriberService')) === 'NOT_SERVING',
        20_000,
        20,
      );
      const error = await callError(describer.ask(randomPixels(imageSize, 2), 'is it red?'));
      expect(grpc.status[error.code]).toBe('UNAVAILABLE');
      expect(error.details).toMatch(/every describer inference worker died/);
      expect(await health.status('')).toBe('SERVING');
      expect(await embedder.embedTexts(['a red dress'])).toHaveLength(1);
    } finally {
      health.close();
      describer.close();
      embedder.close();
      await service.close();
      rmSync(modelDir, { recursive: true, force: true });
    }
  });
});
