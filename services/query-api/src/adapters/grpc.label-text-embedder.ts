/** The embedder over gRPC (EmbedderClient) for zero-shot labels: the vocabulary check and prompt vectors, interactive lane. */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, InvalidRequestError } from '@vsearch/contracts';
import { EmbedderCallError, type EmbedderClient } from '@vsearch/grpc-clients';
import { LabelTextEmbedder, type RequestContext } from '../ports';

export class GrpcLabelTextEmbedder extends LabelTextEmbedder {
  constructor(
    private readonly client: EmbedderClient,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  findUnknownWords(texts: readonly string[], context: RequestContext): Promise<string[][]> {
    return this.guard(() => this.client.findUnknownWords(texts, { requestId: context.requestId, deadlineMs: this.deadlineMs }));
  }

  embedLabelTexts(texts: readonly string[], context: RequestContext): Promise<Float32Array[]> {
    return this.guard(() => this.client.embedTexts(texts, { priority: 'interactive', requestId: context.requestId, deadlineMs: this.deadlineMs }));
  }

  /** Transient failures are the embedder's outage (503); a refused text is the caller's mistake (400). */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EmbedderCallError) {
        // UNIMPLEMENTED: an embedder from before the vocabulary check, during a rollout: try again once it is replaced.
        if (error.isTransient || error.code === status.FAILED_PRECONDITION || error.code === status.UNIMPLEMENTED)
          throw new DependencyUnavailableError('embedder', error.details);
        if (error.code === status.INVALID_ARGUMENT) throw new InvalidRequestError('invalid_label', `the embedder refused a label prompt: ${error.details}`);
      }
      throw error;
    }
  }
}
