/**
 * Coalesces images from every partition in flight into embedder calls of up to `batchSize`
 * (bulk lane), flushing a partial batch after `maxWaitMs`; the same image (same cache key, which
 * carries the model id) in flight twice is embedded once. Each call holds images of one model:
 * during a model rollout the live and the reindex generation's models are batched apart.
 */
import type { ImageEmbedder } from '../ports';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import { Limiter } from './concurrency';

interface Pending {
  key: string;
  /** The model to embed with; undefined: the embedder's default. */
  modelId: string | undefined;
  pixels: Uint8Array;
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

export class EmbedQueue {
  private pending: Pending[] = [];
  private readonly inFlight = new Map<string, Promise<Float32Array>>();
  private timer: NodeJS.Timeout | null = null;
  private readonly limiter: Limiter;

  constructor(
    private readonly embedder: ImageEmbedder,
    private readonly metrics: IngestionMetrics,
    private readonly settings: { batchSize: number; concurrency: number; maxWaitMs?: number },
  ) {
    this.limiter = new Limiter(settings.concurrency);
  }

  embed(key: string, pixels: Uint8Array, modelId?: string): Promise<Float32Array> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const promise = new Promise<Float32Array>((resolve, reject) => {
      this.pending.push({ key, modelId, pixels, resolve, reject });
    });
    this.inFlight.set(key, promise);
    const forget = () => this.inFlight.delete(key);
    promise.then(forget, forget);
    if (this.pending.length >= this.settings.batchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.settings.maxWaitMs ?? 10);
    return promise;
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.pending.length > 0) {
      // The first waiting item's model, up to batchSize of its items; the other model's wait for the next round.
      const { modelId } = this.pending[0];
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      for (const item of this.pending) (item.modelId === modelId && batch.length < this.settings.batchSize ? batch : rest).push(item);
      this.pending = rest;
      void this.limiter.run(async () => {
        const stop = this.metrics.embedSeconds.startTimer();
        try {
          const vectors = await this.embedder.embedPixels(
            batch.map((item) => item.pixels),
            modelId,
          );
          this.metrics.embeddedImages.inc(batch.length);
          batch.forEach((item, i) => item.resolve(vectors[i]));
        } catch (error) {
          for (const item of batch) item.reject(error);
        } finally {
          stop();
        }
      });
    }
  }
}
