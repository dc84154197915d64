/**
 * ImageEmbedder over the embedder's gRPC client (`EmbedderClient`): the bulk lane, the pixels
 * fast path, and the translation of the client's EmbedderCallError into the platform's errors
 * (`toPlatformError`), so the logic never sees a gRPC status.
 */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, RejectedByDependencyError } from '@vsearch/contracts';
import { EmbedderCallError, EmbedderClient } from '@vsearch/grpc-clients';
import { ImageEmbedder, type DescribedModel } from '../ports';

/** After an outage, a channel this old is replaced instead of waiting out grpc-js' reconnect backoff (up to 2 minutes). */
const RECONNECT_AFTER_MS = 2_000;

/** Statuses that are the embedder's own trouble, not the image's, besides the transient ones: retry rather than dead-letter. */
const EMBEDDER_FAULTS: ReadonlySet<status> = new Set([status.INTERNAL, status.UNKNOWN]);

export class GrpcImageEmbedder extends ImageEmbedder {
  private client: EmbedderClient;
  private clientSince = Date.now();

  constructor(
    private readonly address: string,
    private readonly deadlineMs: number,
  ) {
    super();
    this.client = new EmbedderClient({ address, defaultDeadlineMs: deadlineMs });
  }

  async modelInfo(modelId?: string): Promise<DescribedModel> {
    try {
      const info = await this.client.getModelInfo({ deadlineMs: 5_000, modelId });
      return { modelId: info.modelId, dimension: info.dimension, imageSize: info.imageSize, loadedModelIds: info.loadedModelIds ?? [info.modelId] };
    } catch (error) {
      throw this.failed(error);
    }
  }

  async embedPixels(pixels: readonly Uint8Array[], modelId?: string): Promise<Float32Array[]> {
    try {
      return await this.client.embedPixels(pixels, { priority: 'bulk', deadlineMs: this.deadlineMs, modelId });
    } catch (error) {
      throw this.failed(error);
    }
  }

  async embedTexts(texts: readonly string[], modelId?: string): Promise<Float32Array[]> {
    try {
      return await this.client.embedTexts(texts, { priority: 'bulk', deadlineMs: this.deadlineMs, modelId });
    } catch (error) {
      throw this.failed(error);
    }
  }

  close(): void {
    this.client.close();
  }

  /** The failure in platform terms; an UNAVAILABLE on a channel past RECONNECT_AFTER_MS also replaces the channel. */
  private failed(error: unknown): Error {
    if (error instanceof EmbedderCallError && error.code === status.UNAVAILABLE && Date.now() - this.clientSince > RECONNECT_AFTER_MS) {
      // A fresh channel connects at once when the embedder is back.
      this.client.close();
      this.client = new EmbedderClient({ address: this.address, defaultDeadlineMs: this.deadlineMs });
      this.clientSince = Date.now();
    }
    return toPlatformError(error);
  }
}

/**
 * An embedder call's failure as a platform error: transient statuses (UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED), INTERNAL, UNKNOWN and anything that is not a call
 * error → DependencyUnavailableError (pause and retry); any other status → RejectedByDependencyError
 * with the status name as code (the pixels are refused for good).
 */
export function toPlatformError(error: unknown): Error {
  if (!(error instanceof EmbedderCallError)) return new DependencyUnavailableError('embedder', (error as Error).message, { cause: error });
  if (error.isTransient || EMBEDDER_FAULTS.has(error.code)) return new DependencyUnavailableError('embedder', error.message, { cause: error });
  return new RejectedByDependencyError('embedder', status[error.code] ?? String(error.code), error.message);
}
