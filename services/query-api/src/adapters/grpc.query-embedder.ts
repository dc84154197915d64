/** The embedder over gRPC (EmbedderClient): shopper queries and photos on the interactive lane. */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, InvalidRequestError, type ModelInfo } from '@vsearch/contracts';
import { EmbedderCallError, type EmbedderClient } from '@vsearch/grpc-clients';
import { QueryEmbedder, type RequestContext } from '../ports';

const READY_CHECK_DEADLINE_MS = 2_000;

export class GrpcQueryEmbedder extends QueryEmbedder {
  constructor(
    private readonly client: EmbedderClient,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  async describeModel(context: RequestContext, modelId?: string): Promise<ModelInfo> {
    return this.guard(() => this.client.getModelInfo({ requestId: context.requestId, deadlineMs: this.deadlineMs, modelId }));
  }

  async embedQueryText(text: string, context: RequestContext, modelId?: string): Promise<Float32Array> {
    const [vector] = await this.guard(() =>
      this.client.embedTexts([text], { priority: 'interactive', requestId: context.requestId, deadlineMs: this.deadlineMs, modelId }),
    );
    return vector;
  }

  async embedQueryPixels(pixels: Uint8Array, context: RequestContext, modelId?: string): Promise<Float32Array> {
    const [vector] = await this.guard(() =>
      this.client.embedPixels([pixels], { priority: 'interactive', requestId: context.requestId, deadlineMs: this.deadlineMs, modelId }),
    );
    return vector;
  }

  async checkReady(): Promise<void> {
    await this.guard(() => this.client.getModelInfo({ deadlineMs: READY_CHECK_DEADLINE_MS }));
  }

  /**
   * Transient failures (down, overloaded, too slow, not warm yet) are the embedder's outage, and so is
   * a model it has not loaded (NOT_FOUND: the live index's model, mid-rollout); a refused query is the caller's mistake.
   */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EmbedderCallError) {
        if (error.isTransient || error.code === status.FAILED_PRECONDITION || error.code === status.NOT_FOUND) {
          throw new DependencyUnavailableError('embedder', error.details);
        }
        if (error.code === status.INVALID_ARGUMENT) throw new InvalidRequestError('invalid_query', `the embedder refused the query: ${error.details}`);
      }
      throw error;
    }
  }
}
