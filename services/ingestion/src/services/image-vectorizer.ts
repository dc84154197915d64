/**
 * Turns product images into vectors: fetch (SSRF-safe, retried with backoff and jitter when
 * the error is retryable), hash the bytes, reuse a cached vector or decode + preprocess here
 * (never on the GPU pod) and embed through the bulk lane. Each image that fails is reported
 * with its stage and code (the ports' ImageUnavailableError for fetch and decode, the embedder's
 * RejectedByDependencyError for embed); an embedder outage is thrown (DependencyUnavailableError).
 * A refresh (filtered reindex) skips the cache look-up, so every image is embedded again, and
 * stores the new vectors in the cache. With an AltTextWriter, each fetched image is also described
 * (alt text, stored with its vector), concurrently with its embedding.
 */
import { DependencyUnavailableError, RejectedByDependencyError, type FailedImage, type ImageVector, type ProductImage } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import { ImageUnavailableError, type EmbedderModel, type ImagePreprocessor, type ImageSource } from '../ports';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import type { AltTextWriter } from './alt-text.service';
import { Limiter, backoffDelay, sleep } from './concurrency';
import { EmbeddingCache } from './embedding-cache';
import type { EmbedQueue } from './embed-queue';

export type ImageStage = 'fetch' | 'decode' | 'embed';

/** An image left out of its product, as search records it (FailedImage), with the stage narrowed to the ones this pipeline has. */
export interface ImageFailure extends FailedImage {
  stage: ImageStage;
}

export interface ProductVectors {
  vectors: ImageVector[];
  failures: ImageFailure[];
}

export interface VectorizeOptions {
  signal?: AbortSignal;
  /** Embed again instead of reusing cached vectors (a refresh must produce fresh vectors). */
  refresh?: boolean;
}

export interface VectorizerSettings {
  fetchConcurrency: number;
  fetchAttempts: number;
  fetchRetryBaseMs: number;
  fetchRetryMaxMs: number;
  preprocessConcurrency: number;
}

/** One image left out of its product (caught in `vectorize`, never thrown past this module). */
class ImageFailed extends Error {
  constructor(
    readonly stage: ImageStage,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ImageVectorizer {
  private readonly fetchLimiter: Limiter;
  private readonly preprocessLimiter: Limiter;

  constructor(
    private readonly source: ImageSource,
    private readonly preprocessor: ImagePreprocessor,
    private readonly queue: EmbedQueue,
    private readonly cache: EmbeddingCache,
    private readonly metrics: IngestionMetrics,
    private readonly settings: VectorizerSettings,
    private readonly logger: Logger,
    /** Unset when no describer is configured: images are stored without descriptions. */
    private readonly altText?: AltTextWriter,
  ) {
    this.fetchLimiter = new Limiter(settings.fetchConcurrency);
    this.preprocessLimiter = new Limiter(settings.preprocessConcurrency);
  }

  /** Vectors of every image of one product; throws DependencyUnavailableError on an embedder outage. */
  async vectorize(images: readonly ProductImage[], model: EmbedderModel, options: VectorizeOptions = {}): Promise<ProductVectors> {
    const results = await Promise.allSettled(images.map((image) => this.vectorOf(image, model, options)));
    const vectors: ImageVector[] = [];
    const failures: ImageFailure[] = [];
    let outage: unknown = null;
    results.forEach((result, i) => {
      const image = images[i];
      if (result.status === 'fulfilled') {
        const { vector, description } = result.value;
        vectors.push({ imageId: image.id, imageUrl: image.url, vector, ...(description ? { description } : {}) });
        return;
      }
      const error = result.reason as unknown;
      if (error instanceof ImageFailed) {
        failures.push({ imageId: image.id, imageUrl: image.url, stage: error.stage, errorCode: error.code, reason: error.message });
        this.metrics.imageFailures.inc({ stage: error.stage, code: error.code });
      } else {
        outage ??= error;
      }
    });
    if (outage) throw outage;
    return { vectors, failures };
  }

  private async vectorOf(
    image: ProductImage,
    model: EmbedderModel,
    { signal, refresh }: VectorizeOptions,
  ): Promise<{ vector: Float32Array; description?: string }> {
    const bytes = await this.fetchWithRetries(image.url, signal);
    const [vector, description] = await Promise.all([this.embeddingOf(bytes, model, refresh), this.altText?.describe(bytes, { refresh })]);
    return { vector, description };
  }

  private async embeddingOf(bytes: Buffer, model: EmbedderModel, refresh: boolean | undefined): Promise<Float32Array> {
    const key = EmbeddingCache.keyOf(bytes, model.modelId);
    const cached = refresh ? undefined : this.cache.get(key);
    if (cached) {
      this.metrics.cache.inc({ result: 'hit' });
      return cached;
    }
    this.metrics.cache.inc({ result: refresh ? 'bypassed' : 'miss' });
    const pixels = await this.preprocessLimiter.run(async () => {
      const stop = this.metrics.preprocessSeconds.startTimer();
      try {
        return await this.preprocessor.toModelPixels(bytes, model.imageSize);
      } catch (error) {
        // Whatever else a preprocessor throws is still this image's trouble, never an outage.
        if (error instanceof ImageUnavailableError) throw new ImageFailed('decode', error.errorCode, error.reason);
        throw new ImageFailed('decode', 'decode_failed', (error as Error).message);
      } finally {
        stop();
      }
    });
    try {
      const vector = await this.queue.embed(key, pixels);
      this.cache.set(key, vector);
      return vector;
    } catch (error) {
      if (error instanceof RejectedByDependencyError) throw new ImageFailed('embed', error.code, error.message);
      if (error instanceof DependencyUnavailableError) throw error;
      throw new DependencyUnavailableError('embedder', (error as Error).message, { cause: error });
    }
  }

  private async fetchWithRetries(url: string, signal?: AbortSignal): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      const stop = this.metrics.fetchSeconds.startTimer();
      try {
        const fetched = await this.fetchLimiter.run(() => this.source.fetchImage(url, signal));
        stop({ outcome: 'ok' });
        return fetched.bytes;
      } catch (error) {
        if (!(error instanceof ImageUnavailableError)) {
          stop({ outcome: 'error' });
          throw new ImageFailed('fetch', 'network', (error as Error).message);
        }
        stop({ outcome: error.errorCode });
        const last = attempt + 1 >= this.settings.fetchAttempts || signal?.aborted;
        if (!error.retryable || last) throw new ImageFailed('fetch', error.errorCode, error.reason);
        const delay = backoffDelay(attempt, this.settings.fetchRetryBaseMs, this.settings.fetchRetryMaxMs);
        this.logger.debug({ url, attempt: attempt + 1, delayMs: delay, code: error.errorCode }, 'image fetch failed, retrying');
        await sleep(delay, signal);
      }
    }
  }
}
