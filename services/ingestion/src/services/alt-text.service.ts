/**
 * Alt text at ingestion: one generated description per product image, written by the describer on
 * the bulk lane from pixels preprocessed here (never on the model pods), cached by image content and
 * describer model like vectors (a variant sharing a photo, a replay or a reindex describes nothing
 * again). A describer outage is thrown (DependencyUnavailableError: ingestion pauses and retries,
 * as for the embedder); an image the describer refuses for good is stored without a description.
 */
import { createHash } from 'node:crypto';
import { DependencyUnavailableError, RejectedByDependencyError } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { DescriberModel, ImageDescriber, ImagePreprocessor } from '../ports';

/** A rollout of the describer model is seen within this time (the cache is keyed by model id, so old descriptions are not reused). */
export const DESCRIBER_MODEL_TTL_MS = 30_000;

export interface AltTextOptions {
  /** Descriptions kept in memory (LRU). */
  cacheSize: number;
  nowMs?: () => number;
}

export interface DescribeOptions {
  /** Describe again, even when a description of these bytes is cached (a reindex). */
  refresh?: boolean;
  /** The same bytes already decoded, by input size (the vectorizer's): the image is not decoded again for the describer. */
  pixelsAt?: (size: number) => Promise<Uint8Array>;
}

export class AltTextWriter {
  private readonly cache = new Map<string, string>();
  private model?: { info: DescriberModel; expiresAtMs: number };
  private readonly nowMs: () => number;

  constructor(
    private readonly describer: ImageDescriber,
    private readonly preprocessor: ImagePreprocessor,
    private readonly options: AltTextOptions,
    private readonly logger: Logger,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /**
   * The description of the image whose file is `bytes`, or undefined when the describer refused it.
   * `refresh` (a reindex) describes again. Throws DependencyUnavailableError on the describer's outage;
   * a decode failure is the vectorizer's to report (it decodes the same bytes), so it yields undefined here.
   */
  async describe(bytes: Uint8Array, { refresh = false, pixelsAt }: DescribeOptions = {}): Promise<string | undefined> {
    const model = await this.currentModel();
    const key = `${model.modelId}:${createHash('sha256').update(bytes).digest('hex')}`;
    const cached = refresh ? undefined : this.cache.get(key);
    if (cached !== undefined) {
      this.remember(key, cached);
      return cached;
    }
    let pixels: Uint8Array;
    try {
      pixels = await (pixelsAt ? pixelsAt(model.imageSize) : this.preprocessor.toModelPixels(bytes, model.imageSize));
    } catch {
      return undefined;
    }
    try {
      const description = await this.describer.describePixels(pixels);
      this.remember(key, description);
      return description;
    } catch (error) {
      if (error instanceof RejectedByDependencyError) {
        this.logger.warn({ code: error.code, reason: error.message }, 'the describer refused an image; it is stored without alt text');
        return undefined;
      }
      if (error instanceof DependencyUnavailableError) throw error;
      throw new DependencyUnavailableError('describer', (error as Error).message, { cause: error });
    }
  }

  private async currentModel(): Promise<DescriberModel> {
    if (this.model && this.model.expiresAtMs > this.nowMs()) return this.model.info;
    const info = await this.describer.modelInfo();
    this.model = { info, expiresAtMs: this.nowMs() + DESCRIBER_MODEL_TTL_MS };
    return info;
  }

  /** Map keeps insertion order: re-inserting marks the entry most recently used, the first is the oldest. */
  private remember(key: string, description: string): void {
    this.cache.delete(key);
    this.cache.set(key, description);
    if (this.cache.size > this.options.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }
}
