/**
 * GrpcProductDescriber's translation of the describer's failures into the query API's errors.
 * real: DescriberCallError as the client throws it. mock: the DescriberClient (a stand-in that fails as told).
 */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, InvalidRequestError } from '@vsearch/contracts';
import { DescriberCallError, DescriberErrorReason, type DescriberClient } from '@vsearch/grpc-clients';
import { GrpcProductDescriber } from './grpc.product-describer';

function failingDescriber(error: DescriberCallError): GrpcProductDescriber {
  const client = { ask: async () => Promise.reject(error) } as unknown as DescriberClient;
  return new GrpcProductDescriber(client, 1000);
}

const context = { requestId: 'r-1' };

describe(GrpcProductDescriber.name, () => {
  it("answers a question longer than the model reads as question_too_long, with the describer's message naming the limit in tokens", async () => {
    const details = 'question: 21 tokens (words and punctuation marks), the model reads at most 20 tokens';
    const describer = failingDescriber(new DescriberCallError('ask', status.INVALID_ARGUMENT, details, DescriberErrorReason.questionTooLong));
    const refused = await describer.askAboutPixels(new Uint8Array(3), 'red '.repeat(21), context).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect(refused).toMatchObject({ code: 'question_too_long', message: details });
  });

  it('answers any other refusal as invalid_question, and an unreachable describer as its outage', async () => {
    const other = failingDescriber(new DescriberCallError('ask', status.INVALID_ARGUMENT, 'question: empty'));
    await expect(other.askAboutPixels(new Uint8Array(3), ' ', context)).rejects.toMatchObject({
      code: 'invalid_question',
      message: 'the describer refused the request: question: empty',
    });
    const down = failingDescriber(new DescriberCallError('ask', status.UNAVAILABLE, 'connection refused'));
    await expect(down.askAboutPixels(new Uint8Array(3), 'is it red?', context)).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
