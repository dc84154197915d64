/** ImageEmbedder over the embedder's gRPC client: bulk lane, pixels fast path, outages as DependencyUnavailableError. */
import { EmbedderCallError, EmbedderClient } from '@vsearch/grpc-clients';
import { DependencyUnavailableError, ImageEmbedder, RejectedByDependencyError, type EmbedderModel } from '../ports';

/** After an outage, a channel this old is replaced instead of waiting out grpc-js' reconnect backoff (up to 2 minutes). */
const RECONNECT_AFTER_MS = 2_000;

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

  async modelInfo(): Promise<EmbedderModel> {
    try {
      const info = await this.client.getModelInfo({ deadlineMs: 5_000 });
      return { modelId: info.modelId, dimension: info.dimension, imageSize: info.imageSize };
    } catch (error) {
      throw this.translate(error);
    }
  }

  async embedPixels(pixels: readonly Uint8Array[]): Promise<Float32Array[]> {
    try {
      return await this.client.embedPixels(pixels, { priority: 'bulk', deadlineMs: this.deadlineMs });
    } catch (error) {
      throw this.translate(error);
    }
  }

  close(): void {
    this.client.close();
  }

  private translate(error: unknown): Error {
    const translated = translate(error);
    if (error instanceof EmbedderCallError && error.code === 14 && Date.now() - this.clientSince > RECONNECT_AFTER_MS) {
      // A fresh channel connects at once when the embedder is back.
      this.client.close();
      this.client = new EmbedderClient({ address: this.address, defaultDeadlineMs: this.deadlineMs });
      this.clientSince = Date.now();
    }
    return translated;
  }
}

function translate(error: unknown): Error {
  if (error instanceof EmbedderCallError) {
    if (error.isTransient) return new DependencyUnavailableError('embedder', error.message, { cause: error });
    // INTERNAL / UNKNOWN are the embedder's trouble, not the image's: retry rather than dead-letter.
    if (error.code === 13 || error.code === 2 || error.code === 14) return new DependencyUnavailableError('embedder', error.message, { cause: error });
    return new RejectedByDependencyError('embedder', String(error.code), error.message);
  }
  return new DependencyUnavailableError('embedder', (error as Error).message, { cause: error });
}
