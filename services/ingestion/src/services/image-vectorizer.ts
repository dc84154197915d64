/**
 * Turns product images into vectors, for one model or for every model a product is written with
 * (during a model rollout, the live generation's and the new one's): fetch (SSRF-safe, retried with
 * backoff and jitter when the error is retryable), hash the bytes, reuse cached vectors or decode +
 * preprocess here (never on the GPU pod) and embed through the bulk lane. Each image is fetched,
 * decoded (once per input size the models need) and described once, then embedded once per model:
 * a fetch or decode failure is the image's for every model, an embedder refusal only that model's.
 * Each image that fails is reported with its stage and code (the ports' ImageUnavailableError for
 * fetch and decode, the embedder's RejectedByDependencyError for embed); an embedder outage is
 * thrown (DependencyUnavailableError). A refresh (filtered reindex) skips the cache look-up, so
 * every image is embedded again, and stores the new vectors in the cache.
 *
 * Every vector comes with the content it was computed from (sha256, the host's ETag and
 * Last-Modified), stored with the image. `checkContent` uses it to tell whether the photos behind
 * unchanged URLs changed: a conditional fetch (304: unchanged, nothing downloaded) where the host
 * gave validators, the hash of the bytes fetched again where it did not. `vectorize` reuses what
 * the check downloaded, and for an image whose stored vectors are in the cache for every model asks
 * the host conditionally, so an unchanged image costs neither a download nor an embedding.
 * With an AltTextWriter, each downloaded image is also described (alt text, stored with its vectors),
 * concurrently with its embedding and from the same decode when the describer's input size is a
 * model's; an image whose bytes are unchanged keeps its stored description.
 */
import {
  DependencyUnavailableError,
  RejectedByDependencyError,
  type FailedImage,
  type ImageContent,
  type ImageRef,
  type ImageVector,
  type ProductImage,
} from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import {
  ImageUnavailableError,
  NOT_MODIFIED,
  type EmbedderModel,
  type FetchedImageBytes,
  type ImagePreprocessor,
  type ImageSource,
  type ImageValidators,
} from '../ports';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import type { AltTextWriter } from './alt-text.service';
import { Limiter, backoffDelay, sleep } from './concurrency';
import { contentHash, EmbeddingCache } from './embedding-cache';
import type { EmbedQueue } from './embed-queue';

export type ImageStage = 'fetch' | 'decode' | 'embed';

/** An image left out of its product, as search records it (FailedImage), with the stage narrowed to the ones this pipeline has. */
export interface ImageFailure extends FailedImage {
  stage: ImageStage;
}

/** One product's images for one model: the vectors of those that worked, and the failures. */
export interface ProductVectors {
  vectors: ImageVector[];
  failures: ImageFailure[];
}

export interface VectorizeOptions {
  signal?: AbortSignal;
  /** Embed again instead of reusing cached vectors (a refresh must produce fresh vectors). */
  refresh?: boolean;
  /** The product's images as stored, with the content their vectors came from: unchanged ones are asked for conditionally. */
  stored?: readonly ImageRef[];
  /** Bytes `checkContent` already downloaded, by image id: not fetched again. */
  prefetched?: ReadonlyMap<string, FetchedImageBytes>;
  /** Images `checkContent` found unchanged (by id): their stored content is current, no need to ask the host again. */
  unchanged?: ReadonlySet<string>;
  /** Describe the images too, when an AltTextWriter is set (default true); the gates' query photos are only embedded. */
  describe?: boolean;
}

/** Whether the photos behind a product's stored image URLs are still those their vectors came from. */
export interface ContentCheck {
  /** True when every image answered 304 or its bytes hash as stored. */
  unchanged: boolean;
  /** Bytes downloaded for the check (images without validators, or changed), by image id, for `vectorize`. */
  fetched: Map<string, FetchedImageBytes>;
  /** Ids of the images found unchanged, for `vectorize`. */
  unchangedIds: Set<string>;
}

/** How checkContent found one image (the label of ingestion_image_content_checks_total). */
type ContentCheckResult = 'not_modified' | 'same_hash' | 'changed' | 'unknown' | 'failed';

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

  /**
   * Vectors of every image of one product for each of `models`, in their order (one model for a
   * single target). Each image is fetched, decoded and described once whatever the number of models.
   * Throws DependencyUnavailableError on an embedder outage.
   */
  async vectorize(images: readonly ProductImage[], models: readonly EmbedderModel[], options: VectorizeOptions = {}): Promise<ProductVectors[]> {
    if (models.length === 0) return [];
    const results = await Promise.allSettled(images.map((image) => this.vectorsOf(image, models, options)));
    const perModel: ProductVectors[] = models.map(() => ({ vectors: [], failures: [] }));
    let outage: unknown = null;
    results.forEach((result, i) => {
      const image = images[i];
      if (result.status === 'rejected') {
        const error = result.reason as unknown;
        if (!(error instanceof ImageFailed)) {
          outage ??= error;
          return;
        }
        // Fetching or decoding failed: no model has a vector of this image.
        this.metrics.imageFailures.inc({ stage: error.stage, code: error.code });
        for (const product of perModel) product.failures.push(failureOf(image, error));
        return;
      }
      const { content, description, byModel } = result.value;
      byModel.forEach((outcome, m) => {
        if (outcome instanceof ImageFailed) {
          this.metrics.imageFailures.inc({ stage: outcome.stage, code: outcome.code });
          perModel[m].failures.push(failureOf(image, outcome));
          return;
        }
        perModel[m].vectors.push({ imageId: image.id, imageUrl: image.url, vector: outcome, content, ...(description ? { description } : {}) });
      });
    });
    if (outage) throw outage;
    return perModel;
  }

  /**
   * Asks whether the photos behind `images` (the same ids and URLs as `stored`) changed since
   * their vectors were computed: conditionally where the host gave validators, by hash otherwise.
   * An image without recorded content (stored before it was recorded) or that fails to fetch
   * counts as changed: `vectorize` then embeds it or records its failure.
   */
  async checkContent(images: readonly ProductImage[], stored: readonly ImageRef[], signal?: AbortSignal): Promise<ContentCheck> {
    const fetched = new Map<string, FetchedImageBytes>();
    const unchangedIds = new Set<string>();
    const results = await Promise.all(
      images.map(async (image): Promise<ContentCheckResult> => {
        const known = storedRefOf(image, stored)?.content;
        if (!known) return 'unknown';
        let answer: FetchedImageBytes | typeof NOT_MODIFIED;
        try {
          answer = await this.fetchWithRetries(image.url, signal, hasValidators(known) ? known : undefined);
        } catch (error) {
          if (error instanceof ImageFailed) return 'failed';
          throw error;
        }
        if (answer === NOT_MODIFIED) {
          unchangedIds.add(image.id);
          return 'not_modified';
        }
        fetched.set(image.id, answer);
        if (contentHash(answer.bytes) !== known.sha256) return 'changed';
        unchangedIds.add(image.id);
        return 'same_hash';
      }),
    );
    for (const result of results) this.metrics.contentChecks.inc({ result });
    return { unchanged: unchangedIds.size === images.length, fetched, unchangedIds };
  }

  /** One image's content, description, and per model its vector or the embedder's refusal; throws ImageFailed when fetching or decoding fails. */
  private async vectorsOf(image: ProductImage, models: readonly EmbedderModel[], options: VectorizeOptions): Promise<ImageVectors> {
    const { signal, refresh } = options;
    let fetched = options.prefetched?.get(image.id);
    const stored = refresh ? undefined : storedRefOf(image, options.stored ?? []);
    const known = stored?.content;
    if (!fetched && known && hasValidators(known)) {
      // Every model's vector of the stored bytes is at hand: ask the host whether the bytes changed before
      // downloading them. Unchanged bytes keep their stored description too (alt text is written from the bytes).
      // When a model lacks its vector the bytes are needed anyway: downloaded below, unconditionally.
      const cached = models.map((model) => this.cache.get(EmbeddingCache.keyOfHash(known.sha256, model.modelId)));
      if (cached.every((vector): vector is Float32Array => vector !== undefined)) {
        const unchanged: ImageVectors = { content: known, byModel: cached, ...(stored.description ? { description: stored.description } : {}) };
        if (options.unchanged?.has(image.id)) return this.cacheHits(unchanged);
        const answer = await this.fetchWithRetries(image.url, signal, known);
        if (answer === NOT_MODIFIED) return this.cacheHits(unchanged);
        fetched = answer;
      }
    }
    fetched ??= await this.fetchWithRetries(image.url, signal);
    const { bytes } = fetched;
    const sha256 = contentHash(bytes);
    const content: ImageContent = {
      sha256,
      ...(fetched.etag ? { etag: fetched.etag } : {}),
      ...(fetched.lastModified ? { lastModified: fetched.lastModified } : {}),
    };
    const pixelsAt = this.decodedOnce(bytes);
    const describe = options.describe ?? true;
    const [byModel, description] = await Promise.all([
      this.embeddingsOf(sha256, models, pixelsAt, refresh),
      describe ? this.altText?.describe(bytes, { refresh, pixelsAt }) : undefined,
    ]);
    return { content, byModel, ...(description ? { description } : {}) };
  }

  private cacheHits(vectors: ImageVectors): ImageVectors {
    for (let i = 0; i < vectors.byModel.length; i++) this.metrics.cache.inc({ result: 'hit' });
    return vectors;
  }

  /**
   * Per model, its cached vector or a fresh one; the image is decoded once per input size the
   * uncached models need, before any is embedded, so a decode failure fails the image for every
   * model (thrown), while an embedder refusal is returned as that model's failure.
   */
  private async embeddingsOf(
    sha256: string,
    models: readonly EmbedderModel[],
    pixelsAt: (size: number) => Promise<Uint8Array>,
    refresh: boolean | undefined,
  ): Promise<(Float32Array | ImageFailed)[]> {
    const keys = models.map((model) => EmbeddingCache.keyOfHash(sha256, model.modelId));
    const cached = keys.map((key) => (refresh ? undefined : this.cache.get(key)));
    cached.forEach((vector) => this.metrics.cache.inc({ result: vector ? 'hit' : refresh ? 'bypassed' : 'miss' }));
    const uncached = models.filter((_, i) => cached[i] === undefined);
    await Promise.all([...new Set(uncached.map((model) => model.imageSize))].map(pixelsAt));
    return Promise.all(models.map(async (model, i) => cached[i] ?? this.embedded(keys[i], await pixelsAt(model.imageSize), model)));
  }

  /** The model's vector of these pixels, cached; the embedder's refusal as this image's failure for the model. */
  private async embedded(key: string, pixels: Uint8Array, model: EmbedderModel): Promise<Float32Array | ImageFailed> {
    try {
      const vector = await this.queue.embed(key, pixels, model.modelId);
      this.cache.set(key, vector);
      return vector;
    } catch (error) {
      if (error instanceof RejectedByDependencyError) return new ImageFailed('embed', error.code, error.message);
      if (error instanceof DependencyUnavailableError) throw error;
      throw new DependencyUnavailableError('embedder', (error as Error).message, { cause: error });
    }
  }

  /** The image's model-sized pixels by input size, each size decoded once (two models of one size, or the describer's, share them). */
  private decodedOnce(bytes: Buffer): (size: number) => Promise<Uint8Array> {
    const bySize = new Map<number, Promise<Uint8Array>>();
    return (size) => {
      let pixels = bySize.get(size);
      if (!pixels) {
        pixels = this.decoded(bytes, size);
        bySize.set(size, pixels);
      }
      return pixels;
    };
  }

  private decoded(bytes: Buffer, size: number): Promise<Uint8Array> {
    return this.preprocessLimiter.run(async () => {
      const stop = this.metrics.preprocessSeconds.startTimer();
      try {
        return await this.preprocessor.toModelPixels(bytes, size);
      } catch (error) {
        // Whatever else a preprocessor throws is still this image's trouble, never an outage.
        if (error instanceof ImageUnavailableError) throw new ImageFailed('decode', error.errorCode, error.reason);
        throw new ImageFailed('decode', 'decode_failed', (error as Error).message);
      } finally {
        stop();
      }
    });
  }

  /** The bytes (or, with validators, NOT_MODIFIED when the host answers 304), retrying what a retry may help. */
  private fetchWithRetries(url: string, signal?: AbortSignal): Promise<FetchedImageBytes>;
  private fetchWithRetries(
    url: string,
    signal: AbortSignal | undefined,
    validators: ImageValidators | undefined,
  ): Promise<FetchedImageBytes | typeof NOT_MODIFIED>;
  private async fetchWithRetries(url: string, signal?: AbortSignal, validators?: ImageValidators): Promise<FetchedImageBytes | typeof NOT_MODIFIED> {
    for (let attempt = 0; ; attempt++) {
      const stop = this.metrics.fetchSeconds.startTimer();
      try {
        const fetched = await this.fetchLimiter.run(() =>
          validators ? this.source.fetchImageIfModified(url, validators, signal) : this.source.fetchImage(url, signal),
        );
        stop({ outcome: fetched === NOT_MODIFIED ? 'not_modified' : 'ok' });
        return fetched;
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

/** The stored record of the same image (same id, same URL). */
function storedRefOf(image: ProductImage, stored: readonly ImageRef[]): ImageRef | undefined {
  return stored.find((ref) => ref.imageId === image.id && ref.imageUrl === image.url);
}

/** One image's vector per model (or that model's failure), in the order of the models, the content they came from, and its description when one was written. */
interface ImageVectors {
  byModel: (Float32Array | ImageFailed)[];
  content: ImageContent;
  description?: string;
}

function failureOf(image: ProductImage, failed: ImageFailed): ImageFailure {
  return { imageId: image.id, imageUrl: image.url, stage: failed.stage, errorCode: failed.code, reason: failed.message };
}

function hasValidators(content: ImageContent): boolean {
  return Boolean(content.etag || content.lastModified);
}
