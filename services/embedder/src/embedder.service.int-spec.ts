/**
 * real: the embedder service started in-process on free ports (gRPC server,
 * batchers, two inference workers per tower running onnxruntime-node with the
 * bundled model, sharp),
 * called over gRPC through EmbedderClient, grpc.health.v1 and a raw client.
 * mock: nothing. Reference vectors come from a separate ModelRuntime, one item per call.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import sharp from 'sharp';
import { service as healthService } from 'grpc-health-check';
import { EmbedderCallError, EmbedderClient } from '@vsearch/grpc-clients';
import { BUNDLED_MODEL_DIR, isModelInUse, modelManifestSchema, ModelRuntime } from '@vsearch/model';
import { embedderV1 } from '@vsearch/proto';
import { freePort, metricValue, randomPixels, waitFor } from '@vsearch/testing';
import { preprocessImage } from '@vsearch/preprocessing';
import { startEmbedderService, type RunningEmbedderService } from './index';
import { healthProbe, startRecordingWorkers } from './testing/embedder-test-kit';

// Two inference workers per tower throughout, whatever the machine's core count (auto would follow it).
const BASE = {
  EXECUTION_PROVIDERS: 'cpu',
  INTRA_OP_THREADS: 1,
  INFERENCE_WORKERS: 2,
  // Exact worker counts below; the latency worker has a test of its own.
  LATENCY_WORKER_THREADS: 0,
  METRICS_PORT: 0,
  EMBEDDER_HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  // The CLIP side alone: the describer (its own worker thread, counted by the worker tests below) has describer.service.int-spec.ts.
  DESCRIBER_ENABLED: 'false',
} as const;

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function callError(promise: Promise<unknown>): Promise<EmbedderCallError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(EmbedderCallError);
  return error as EmbedderCallError;
}

/** A real 1×1 PNG whose header claims 60000×60000 pixels: tiny on the wire, a bomb when decoded. */
async function decompressionBomb(): Promise<Buffer> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  const ihdr = png.indexOf('IHDR');
  png.writeUInt32BE(60_000, ihdr + 4);
  png.writeUInt32BE(60_000, ihdr + 8);
  png.writeUInt32BE(crc32(png.subarray(ihdr, ihdr + 17)) >>> 0, ihdr + 17);
  return png;
}

describe('embedder service over gRPC', () => {
  let service: RunningEmbedderService;
  let client: EmbedderClient;
  let reference: ModelRuntime;
  let imageSize: number;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = pino(
      { level: 'info', base: { service: 'embedder' } },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString());
          done();
        },
      }),
    );
    service = await startEmbedderService({ ...BASE, EMBEDDER_PORT: await freePort(), MAX_BATCH: 16, MAX_WAIT_MS: 20, MAX_ITEMS_PER_CALL: 64 }, logger);
    client = new EmbedderClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 30_000 });
    reference = await ModelRuntime.load(BUNDLED_MODEL_DIR, { executionProviders: ['cpu'], intraOpThreads: 1 });
    imageSize = reference.info().imageSize;
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
    await reference?.close();
  });

  it('reports SERVING on grpc.health.v1 once warm, and describes its model', async () => {
    const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    const health = new Health(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      check(request: { service: string }, callback: (error: grpc.ServiceError | null, response: { status: unknown }) => void): void;
    };
    for (const name of ['', 'visualsearch.embedder.v1.EmbedderService']) {
      const response = await new Promise<{ status: unknown }>((resolve, reject) =>
        health.check({ service: name }, (error, reply) => (error ? reject(error) : resolve(reply))),
      );
      expect(response.status).toBe('SERVING');
    }
    health.close();
    const info = await client.getModelInfo();
    expect(info).toMatchObject({
      modelId: reference.model.id,
      dimension: reference.info().dimension,
      imageSize,
      contextLength: reference.info().contextLength,
      executionProvider: 'cpu',
    });
    expect(info.mean).toHaveLength(3);
  });

  it('sends the bundled model’s serving settings (score thresholds, logit scale) with GetModelInfo', async () => {
    // Read from the file itself, through the manifest schema so an unset logitScale takes the contract's default.
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(path.join(BUNDLED_MODEL_DIR, 'model.json'), 'utf8')));
    const info = await client.getModelInfo();
    expect(info.textScoreThreshold).toBeCloseTo(manifest.textSearchScoreThreshold, 6);
    expect(info.imageScoreThreshold).toEqual(manifest.imageSearchScoreThreshold);
    // The client reads a missing logit_scale (0 on the wire) as CLIP's default, so the raw response is what proves it was sent.
    const Raw = grpc.makeGenericClientConstructor({ getModelInfo: embedderV1.EmbedderServiceService.getModelInfo }, 'raw');
    const raw = new Raw(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      getModelInfo(
        request: embedderV1.GetModelInfoRequest,
        callback: (error: grpc.ServiceError | null, response: embedderV1.GetModelInfoResponse) => void,
      ): void;
    };
    const response = await new Promise<embedderV1.GetModelInfoResponse>((resolve, reject) =>
      raw.getModelInfo({ modelId: '' }, (error, reply) => (error ? reject(error) : resolve(reply))),
    );
    raw.close();
    expect(response.logitScale).toBeCloseTo(manifest.logitScale, 4);
    expect(response.textScoreThreshold).toBeCloseTo(manifest.textSearchScoreThreshold, 6);
  });

  it('batches concurrent calls and returns what one-at-a-time inference returns, in order', async () => {
    const texts = Array.from(
      { length: 24 },
      (_, i) => `a ${['red', 'blue', 'green', 'black'][i % 4]} ${['mug', 'dress', 'lamp', 'boot', 'cap', 'chair'][i % 6]} number ${i}`,
    );
    const pixels = Array.from({ length: 24 }, (_, i) => randomPixels(imageSize, i + 1));
    const [textResults, imageResults] = await Promise.all([
      Promise.all(texts.map((_, i) => (i % 3 === 0 ? client.embedTexts(texts.slice(i, i + 3), { priority: 'bulk' }) : client.embedTexts([texts[i]])))),
      Promise.all(pixels.map((_, i) => (i % 4 === 0 ? client.embedPixels(pixels.slice(i, i + 4), { priority: 'bulk' }) : client.embedPixels([pixels[i]])))),
    ]);

    for (const [i, result] of textResults.entries()) {
      const asked = i % 3 === 0 ? texts.slice(i, i + 3) : [texts[i]];
      expect(result).toHaveLength(asked.length);
      for (const [j, text] of asked.entries()) expect(maxAbsDifference(result[j], await reference.embedTexts([text]))).toBeLessThan(1e-5);
    }
    const { imageSize: size, mean, std } = reference.info();
    for (const [i, result] of imageResults.entries()) {
      const asked = i % 4 === 0 ? pixels.slice(i, i + 4) : [pixels[i]];
      expect(result).toHaveLength(asked.length);
      for (const [j, image] of asked.entries()) {
        const chw = new Float32Array(3 * size * size);
        const plane = size * size;
        for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) chw[c * plane + p] = (image[p * 3 + c] / 255 - mean[c]) / std[c];
        expect(maxAbsDifference(result[j], await reference.embedImageBatch(chw, 1))).toBeLessThan(1e-5);
      }
    }

    const metrics = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    const batches = metricValue(metrics, 'embedder_batch_size_count', ['tower="text"']);
    const items = metricValue(metrics, 'embedder_batch_size_sum', ['tower="text"']);
    expect(items).toBeGreaterThanOrEqual(texts.length + 16);
    expect(batches).toBeLessThan(items);
    expect(metricValue(metrics, 'embedder_execution_provider', ['provider="cpu"', `model_id="${reference.model.id}"`])).toBe(1);
    expect(metricValue(metrics, 'embedder_queue_delay_seconds_count', ['tower="image"', 'lane="bulk"'])).toBeGreaterThan(0);
    expect(metricValue(metrics, 'embedder_items_total', ['tower="image"', 'lane="interactive"'])).toBeGreaterThanOrEqual(18);
    expect(metricValue(metrics, 'embedder_inference_workers', ['tower="image"'])).toBe(2);
    expect(metricValue(metrics, 'embedder_inference_workers', ['tower="text"'])).toBe(2);
  });

  it('embeds encoded images like their preprocessed pixels', async () => {
    const jpeg = await sharp(Buffer.from(randomPixels(40, 7).buffer), { raw: { width: 40, height: 40, channels: 3 } })
      .resize(120, 90)
      .jpeg()
      .toBuffer();
    const png = await sharp({ create: { width: 70, height: 50, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    const [fromJpeg, fromPng] = await client.embedEncodedImages([jpeg, png]);
    const [pixelsJpeg, pixelsPng] = await client.embedPixels([
      (await preprocessImage(jpeg, { size: imageSize })).pixels,
      (await preprocessImage(png, { size: imageSize })).pixels,
    ]);
    expect(maxAbsDifference(fromJpeg, pixelsJpeg)).toBeLessThan(1e-5);
    expect(maxAbsDifference(fromPng, pixelsPng)).toBeLessThan(1e-5);
  });

  describe('refuses bad input with INVALID_ARGUMENT naming the item', () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [
        'a pixel buffer of the wrong length',
        () => client.embedPixels([randomPixels(imageSize, 1), new Uint8Array(100)]),
        /images\[1\]\.pixels: expected \d+ bytes/,
      ],
      ['zero images', () => client.embedPixels([]), /images: at least one item/],
      ['zero texts', () => client.embedTexts([]), /texts: at least one item/],
      ['10,000 texts in one call', () => client.embedTexts(new Array<string>(10_000).fill('mug')), /texts: 10000 items exceed the limit of 64/],
      ['an empty text', () => client.embedTexts(['red mug', 'blue lamp', '']), /texts\[2\]: empty text/],
      ['100 KB of text', () => client.embedTexts(['ok', 'x'.repeat(100 * 1024)]), /texts\[1\]: 102400 bytes of UTF-8 exceed the limit/],
      ['an image that does not decode', () => client.embedEncodedImages([Buffer.from('definitely not an image')]), /images\[0\]\.encoded: /],
      [
        'a decompression bomb',
        async () =>
          client.embedEncodedImages([
            await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
              .png()
              .toBuffer(),
            await decompressionBomb(),
          ]),
        /images\[1\]\.encoded: .*pixel/i,
      ],
    ];
    it.each(cases)('%s', async (_name, call, message) => {
      const error = await callError(call());
      expect(grpc.status[error.code]).toBe('INVALID_ARGUMENT');
      expect(error.details).toMatch(message);
    });

    it('invalid UTF-8 (which protobuf decoding would silently turn into U+FFFD)', async () => {
      const raw = grpc.makeGenericClientConstructor(
        { embedTexts: { ...embedderV1.EmbedderServiceService.embedTexts, requestSerialize: (bytes: Buffer) => bytes } },
        'raw',
      );
      const rawClient = new raw(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
        embedTexts(request: Buffer, callback: (error: grpc.ServiceError | null) => void): void;
      };
      const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
      const message = Buffer.concat([field(Buffer.from('red mug')), field(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]))]);
      const error = await new Promise<grpc.ServiceError | null>((resolve) => rawClient.embedTexts(message, resolve));
      rawClient.close();
      expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.details).toBe('texts[1]: not valid UTF-8');
      const [vector] = await client.embedTexts(['a genuine \uFFFD replacement character is fine']);
      expect(vector).toHaveLength(reference.info().dimension);
    });

    it('logs the refusal with the caller’s request id', async () => {
      await callError(client.embedTexts([''], { requestId: 'req-embedder-test-42' }));
      const line = logLines.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.requestId === 'req-embedder-test-42');
      expect(line).toMatchObject({ method: 'EmbedTexts', code: 'INVALID_ARGUMENT' });
    });
  });

  it('fails a call whose deadline passes with DEADLINE_EXCEEDED', async () => {
    const error = await callError(
      client.embedPixels(
        Array.from({ length: 64 }, (_, i) => randomPixels(imageSize, i)),
        { deadlineMs: 1 },
      ),
    );
    expect(grpc.status[error.code]).toBe('DEADLINE_EXCEEDED');
    expect(error.isTransient).toBe(true);
  });
});

describe('embedder service under back-pressure and shutdown', () => {
  it('answers RESOURCE_EXHAUSTED when a lane is full, keeps serving the other lane, and drains on close', async () => {
    const service = await startEmbedderService({ ...BASE, EMBEDDER_PORT: await freePort(), MAX_BATCH: 1, MAX_WAIT_MS: 0, MAX_QUEUE: 8, MAX_ITEMS_PER_CALL: 8 });
    const client = new EmbedderClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 60_000 });
    try {
      const texts = Array.from({ length: 8 }, (_, i) => `a blue mug ${i}`);
      const bulk = await Promise.allSettled(Array.from({ length: 12 }, () => client.embedTexts(texts, { priority: 'bulk' })));
      const refused = bulk.filter((result) => result.status === 'rejected').map((result) => result.reason as EmbedderCallError);
      expect(refused.length).toBeGreaterThan(0);
      for (const error of refused) {
        expect(grpc.status[error.code]).toBe('RESOURCE_EXHAUSTED');
        expect(error.isTransient).toBe(true);
      }
      expect(bulk.some((result) => result.status === 'fulfilled')).toBe(true);

      const [interactive] = await Promise.allSettled([
        client.embedTexts(['a red dress'], { priority: 'interactive' }),
        ...Array.from({ length: 4 }, () => client.embedTexts(texts, { priority: 'bulk' })),
      ]);
      expect(interactive.status).toBe('fulfilled');

      // A call whose deadline passes behind queued bulk work fails with DEADLINE_EXCEEDED (items that reached
      // the queue are dropped before inference; the batcher unit test pins that down); refusals are counted.
      const backlog = Promise.allSettled(Array.from({ length: 6 }, () => client.embedTexts(texts.slice(0, 1), { priority: 'bulk' })));
      const late = await callError(client.embedTexts(texts.slice(0, 2), { priority: 'bulk', deadlineMs: 2 }));
      expect(grpc.status[late.code]).toBe('DEADLINE_EXCEEDED');
      await backlog;
      const dropped = metricValue(await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text(), 'embedder_dropped_items_total', [
        'tower="text"',
        'lane="bulk"',
        'reason="RESOURCE_EXHAUSTED"',
      ]);
      expect(dropped).toBeGreaterThan(0);

      // Calls in flight when close() starts still get their vectors: close as soon as the first of their items is computed.
      const bulkItems = async () =>
        metricValue(await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text(), 'embedder_items_total', ['tower="text"', 'lane="bulk"']);
      const before = await bulkItems();
      const inFlight = Promise.allSettled([
        client.embedTexts(texts.slice(0, 4), { priority: 'bulk' }),
        client.embedTexts(texts.slice(4), { priority: 'bulk' }),
      ]);
      await waitFor('the in-flight calls to start computing', async () => (await bulkItems()) > before, 30_000, 1);
      await service.close();
      const settled = await inFlight;
      expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    } finally {
      client.close();
      await service.close();
    }
  });
});

describe('embedder service and its model directory', () => {
  it('marks the model directory in use while serving, so `models pull --force` refuses to replace it', async () => {
    const { cpSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const modelDir = path.join(mkdtempSync(path.join(tmpdir(), 'embedder-model-')), 'clip-mini');
    cpSync(BUNDLED_MODEL_DIR, modelDir, { recursive: true, filter: (source) => !source.includes('.in-use') });
    const service = await startEmbedderService({ ...BASE, EMBEDDER_PORT: await freePort(), MODEL_DIR: modelDir });
    try {
      expect(isModelInUse(modelDir)).toBe(true);
    } finally {
      await service.close();
    }
    expect(isModelInUse(modelDir)).toBe(false);
  });
});

describe('embedder service when an inference worker dies', () => {
  // Workers start per tower, image then text: the throughput workers, then the latency worker if any.
  it.each([
    { worker: 'a text throughput worker', latencyWorkerThreads: 0, started: 4, victim: 2 },
    { worker: 'the text latency worker, which the live-worker count leaves out,', latencyWorkerThreads: 2, started: 6, victim: 5 },
  ])('replaces $worker when it dies and keeps serving: the tower stays SERVING', async ({ latencyWorkerThreads, started, victim }) => {
    const { service, created, stopRecording } = await startRecordingWorkers({
      ...BASE,
      LATENCY_WORKER_THREADS: latencyWorkerThreads,
      EMBEDDER_PORT: await freePort(),
    });
    const client = new EmbedderClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 30_000 });
    const health = healthProbe(service.port);
    const workers = async () =>
      metricValue(await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text(), 'embedder_inference_workers', ['tower="text"']);
    try {
      expect(created).toHaveLength(started);
      expect(await workers()).toBe(2);
      const [lone] = await client.embedTexts(['a blue mug']);
      await created[victim].terminate();
      expect(await health.status()).toBe('SERVING');
      await waitFor('the replacement text worker to start', async () => created.length === started + 1 && (await workers()) === 2, 20_000, 20);
      expect(await health.status()).toBe('SERVING');
      // A lone call (on the replacement, when it is the latency worker) gives the same vector as before.
      const [again] = await client.embedTexts(['a blue mug']);
      expect(maxAbsDifference(again, lone)).toBeLessThan(1e-5);
      // Enough concurrent calls to need both text throughput workers, a replacement among them.
      const texts = Array.from({ length: 12 }, (_, i) => `a blue mug number ${i}`);
      const results = await Promise.all(texts.map((text) => client.embedTexts([text])));
      expect(results.every((result) => result.length === 1)).toBe(true);
    } finally {
      stopRecording();
      health.close();
      client.close();
      await service.close();
    }
  });

  it('reports NOT_SERVING and answers UNAVAILABLE once a tower has no worker left and none can start, while the process stays up', async () => {
    // A model directory of its own, so its image graph can be removed: the replacement worker cannot load it.
    const modelDir = mkdtempSync(path.join(os.tmpdir(), 'embedder-model-'));
    cpSync(BUNDLED_MODEL_DIR, modelDir, { recursive: true });
    const { service, created, stopRecording } = await startRecordingWorkers({
      ...BASE,
      INFERENCE_WORKERS: 1,
      MODEL_DIR: modelDir,
      EMBEDDER_PORT: await freePort(),
    });
    stopRecording();
    const client = new EmbedderClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 30_000 });
    const health = healthProbe(service.port);
    try {
      expect(created).toHaveLength(2);
      const pixels = randomPixels((await client.getModelInfo()).imageSize, 3);
      expect(await client.embedPixels([pixels])).toHaveLength(1);
      expect(await health.status()).toBe('SERVING');

      rmSync(path.join(modelDir, 'vision.onnx'));
      await created[0].terminate();
      await waitFor('health to turn NOT_SERVING', async () => (await health.status()) === 'NOT_SERVING', 20_000, 20);
      for (const call of [client.embedPixels([pixels]), client.embedTexts(['a red dress'])]) {
        const error = await callError(call);
        expect(grpc.status[error.code]).toBe('UNAVAILABLE');
        expect(error.message).toMatch(/every vision inference worker died and none could be started again \(last: the vision inference worker exited/);
      }
      // Still answering: GetModelInfo does not need inference.
      expect((await client.getModelInfo()).modelId).toBe(service.modelId);
    } finally {
      health.close();
      client.close();
      await service.close();
      rmSync(modelDir, { recursive: true, force: true });
    }
  });
});

describe('embedder service start-up failures', () => {
  it('fails to start on a taken port and releases what it had started', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startEmbedderService({ ...BASE, EMBEDDER_PORT: port })).rejects.toThrow(/No address added|EADDRINUSE|bind/i);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a bad setting, naming it', async () => {
    await expect(startEmbedderService({ ...BASE, MAX_BATCH: 0 })).rejects.toThrow(/MAX_BATCH/);
  });
});
