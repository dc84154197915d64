/**
 * Embedding logic behind the gRPC handlers: one dynamic batcher per tower,
 * each feeding its own tower's pool of inference workers in the model runtime,
 * one batch per live worker (the towers compute side by side, so a shopper's
 * text query never waits for an image batch). Image items are
 * queued as uint8 pixels and normalised straight into the batch tensor; texts
 * are tokenised when they arrive, so a batch only copies token rows.
 *
 * Failures, for the transport to map: an image that does not decode is an
 * InvalidRequestError naming its index; a refused or dropped call is the
 * batcher's BatchRejection; a dead inference worker is the runtime's
 * InferenceLostError, passed on untouched (the batch it computed fails; once a
 * tower has no worker left, every later batch fails the same way).
 */
import { InvalidRequestError } from '@vsearch/contracts';
import { toNormalizedChw } from '@vsearch/preprocessing';
import type { ModelRuntime, ModelRuntimeInfo } from '@vsearch/model';
import { DynamicBatcher, type Lane } from '../batching/dynamic-batcher';
import { ShopperPresence } from '../batching/shopper-presence';
import type { EmbedderConfig } from '../config';
import type { EmbedderMetrics } from '../metrics/embedder.metrics';
import { ImageDecodeError, type ImageDecoder } from '../ports/image-decoder.port';

/** One image of a call: pixels already at the model's size, or an encoded file to decode here. */
export type ImageItem = { kind: 'pixels'; pixels: Uint8Array } | { kind: 'encoded'; encoded: Uint8Array };

export interface EmbedOptions {
  lane: Lane;
  /** Absolute time on `performance.now()`'s clock. */
  deadline?: number;
  signal?: AbortSignal;
}

interface TokenRow {
  ids: BigInt64Array;
  mask: BigInt64Array;
}

export class EmbeddingService {
  private readonly images: DynamicBatcher<Uint8Array, Float32Array>;
  private readonly texts: DynamicBatcher<TokenRow, Float32Array>;
  private readonly info: ModelRuntimeInfo;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly decoder: ImageDecoder,
    batching: EmbedderConfig['batching'],
    metrics: EmbedderMetrics,
  ) {
    this.info = runtime.info();
    // One presence for both towers: a text query keeps an image worker (a core, on a CPU) free of bulk work too.
    const shoppers = new ShopperPresence();
    const common = {
      maxBatch: batching.maxBatch,
      maxWaitMs: batching.maxWaitMs,
      maxQueueItems: batching.maxQueueItems,
      minBulkSlots: batching.minBulkSlots,
      maxBatchWhileInteractive: batching.maxBatchWhileInteractive,
    };
    this.images = new DynamicBatcher({
      ...common,
      name: 'image',
      workers: () => runtime.liveWorkers('image'),
      shoppers,
      runBatch: (pixels, batch) => this.runImageBatch(pixels, batch.interactive),
      hooks: metrics.batcherHooks('image'),
    });
    this.texts = new DynamicBatcher({
      ...common,
      name: 'text',
      workers: () => runtime.liveWorkers('text'),
      shoppers,
      runBatch: (rows, batch) => this.runTextBatch(rows, batch.interactive),
      hooks: metrics.batcherHooks('text'),
    });
  }

  modelInfo(): ModelRuntimeInfo {
    return this.info;
  }

  /** One unit vector per image, in order. Encoded images are decoded first; a bad one fails the call naming its index. */
  async embedImages(items: readonly ImageItem[], options: EmbedOptions): Promise<Float32Array[]> {
    // Decoding costs far more than inference on a CPU: do not spend it on a call the full queue will refuse.
    const refusal = items.some((item) => item.kind === 'encoded') ? this.images.refuseIfFull(options.lane, items.length) : undefined;
    if (refusal) throw refusal;
    const pixels = await Promise.all(
      items.map(async (item, index) => {
        if (item.kind === 'pixels') return item.pixels;
        try {
          return await this.decoder.decode(item.encoded, this.info.imageSize);
        } catch (error) {
          if (error instanceof ImageDecodeError) throw new InvalidRequestError('invalid_image', `images[${index}].encoded: ${error.message}`);
          throw error;
        }
      }),
    );
    return this.images.submit(pixels, options);
  }

  /** One unit vector per text, in order; texts longer than the context are truncated. */
  async embedTexts(texts: readonly string[], options: EmbedOptions): Promise<Float32Array[]> {
    const tokens = this.runtime.tokenize(texts);
    const length = tokens.contextLength;
    const rows = texts.map((_, row): TokenRow => ({
      ids: tokens.inputIds.subarray(row * length, (row + 1) * length),
      mask: tokens.attentionMask.subarray(row * length, (row + 1) * length),
    }));
    return this.texts.submit(rows, options);
  }

  /** Stops taking work and finishes every queued batch. */
  async drain(): Promise<void> {
    await Promise.all([this.images.drain(), this.texts.drain()]);
  }

  depth() {
    return { image: this.images.depth(), text: this.texts.depth() };
  }

  /** A batch without a shopper's item never takes the latency worker: a query arriving next would find every core taken. */
  private async runImageBatch(batch: Uint8Array[], interactive: boolean): Promise<Float32Array[]> {
    const { imageSize: size, mean, std } = this.info;
    const plane = 3 * size * size;
    const chw = new Float32Array(batch.length * plane);
    batch.forEach((pixels, i) => toNormalizedChw(pixels, size, mean, std, chw, i * plane));
    return this.split(await this.runtime.embedImageBatch(chw, batch.length, { mayUseLatencyWorker: interactive }), batch.length);
  }

  private async runTextBatch(batch: TokenRow[], interactive: boolean): Promise<Float32Array[]> {
    const length = this.info.contextLength;
    const ids = new BigInt64Array(batch.length * length);
    const mask = new BigInt64Array(batch.length * length);
    batch.forEach((row, i) => {
      ids.set(row.ids, i * length);
      mask.set(row.mask, i * length);
    });
    return this.split(await this.runtime.embedTextBatch(ids, mask, batch.length, { mayUseLatencyWorker: interactive }), batch.length);
  }

  private split(vectors: Float32Array, count: number): Float32Array[] {
    const dimension = this.info.dimension;
    return Array.from({ length: count }, (_, i) => vectors.subarray(i * dimension, (i + 1) * dimension));
  }
}
