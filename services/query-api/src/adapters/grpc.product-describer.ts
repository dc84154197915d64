/** The describer over gRPC (DescriberClient, served by the embedder process): shoppers' photos on the interactive lane. */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, InvalidRequestError, type Answer, type DescriberInfo, type Generation } from '@vsearch/contracts';
import { DescriberCallError, type DescriberClient } from '@vsearch/grpc-clients';
import { ProductDescriber, type RequestContext } from '../ports';

export class GrpcProductDescriber extends ProductDescriber {
  constructor(
    private readonly client: DescriberClient,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  describeModel(context: RequestContext): Promise<DescriberInfo> {
    return this.guard(() => this.client.info({ requestId: context.requestId, deadlineMs: this.deadlineMs }));
  }

  async describePixels(pixels: Uint8Array, context: RequestContext): Promise<{ description: Generation; modelId: string }> {
    const { descriptions, modelId } = await this.guard(() =>
      this.client.describe([pixels], { priority: 'interactive', requestId: context.requestId, deadlineMs: this.deadlineMs }),
    );
    return { description: descriptions[0], modelId };
  }

  askAboutPixels(pixels: Uint8Array, question: string, context: RequestContext): Promise<Answer> {
    return this.guard(() => this.client.ask(pixels, question, { priority: 'interactive', requestId: context.requestId, deadlineMs: this.deadlineMs }));
  }

  /**
   * Transient failures, and a model server without the describer (UNIMPLEMENTED: not enabled there, or
   * an older embedder), are the describer's outage; a refused question is the caller's mistake.
   */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DescriberCallError) {
        if (error.isTransient || error.code === status.FAILED_PRECONDITION || error.code === status.UNIMPLEMENTED) {
          throw new DependencyUnavailableError('describer', error.details);
        }
        // The model's own question length (in tokens, read from its model.json) is only known where the tokenizer runs.
        if (error.isQuestionTooLong) throw new InvalidRequestError('question_too_long', error.details);
        if (error.code === status.INVALID_ARGUMENT) throw new InvalidRequestError('invalid_question', `the describer refused the request: ${error.details}`);
      }
      throw error;
    }
  }
}
