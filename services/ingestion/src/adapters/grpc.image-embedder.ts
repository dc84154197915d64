/** ImageEmbedder over the embedder's gRPC client: bulk lane, pixels fast path, outages as DependencyUnavailableError. */
import { EmbedderCallError, EmbedderClient } from '@vsearch/grpc-clients';
import { DependencyUnavailableError, ImageEmbedder, RejectedByDependencyError, type EmbedderModel } from '../ports';

export class GrpcImageEmbedder extends ImageEmbedder {
  private readonly client: EmbedderClient;

  constructor(
    address: string,
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
      throw translate(error);
    }
  }

  async embedPixels(pixels: readonly Uint8Array[]): Promise<Float32Array[]> {
    try {
      return await this.client.embedPixels(pixels, { priority: 'bulk', deadlineMs: this.deadlineMs });
    } catch (error) {
      throw translate(error);
    }
  }

  close(): void {
    this.client.close();
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
