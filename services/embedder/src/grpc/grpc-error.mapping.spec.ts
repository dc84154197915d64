import { InvalidRequestError } from '@vsearch/contracts';
import { GrpcError, GrpcStatus, invalidArgument } from '@vsearch/grpc-kit';
import { InferenceLostError } from '@vsearch/model';
import { BatchRejection } from '../batching/batch-rejection';
import { toGrpcError } from './grpc-error.mapping';

function statusOf(thrown: unknown): [string, string] {
  const mapped = toGrpcError(thrown);
  expect(mapped).toBeInstanceOf(GrpcError);
  return [GrpcStatus[(mapped as GrpcError).code], (mapped as GrpcError).message];
}

describe(toGrpcError.name, () => {
  it('answers a bad request with INVALID_ARGUMENT, keeping the message that names the item', () => {
    expect(statusOf(new InvalidRequestError('invalid_image', 'images[2].encoded: unsupported_format: not an image'))).toEqual([
      'INVALID_ARGUMENT',
      'images[2].encoded: unsupported_format: not an image',
    ]);
  });

  it('answers a question longer than the describer reads with INVALID_ARGUMENT and the reason QUESTION_TOO_LONG, and other bad requests without one', () => {
    const tooLong = toGrpcError(
      new InvalidRequestError('question_too_long', 'question: 21 tokens (words and punctuation marks), the model reads at most 20 tokens'),
    );
    expect(tooLong).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, reason: 'QUESTION_TOO_LONG', message: expect.stringContaining('at most 20 tokens') });
    expect((toGrpcError(new InvalidRequestError('invalid_image', 'images[0]: corrupt')) as GrpcError).reason).toBeUndefined();
  });

  it.each([
    ['RESOURCE_EXHAUSTED', 'text bulk queue is full'],
    ['DEADLINE_EXCEEDED', 'deadline passed after 12 ms in the bulk queue'],
    ['CANCELLED', 'request cancelled'],
    ['UNAVAILABLE', 'image batcher is shutting down'],
  ] as const)('answers a batcher refusal %s with that status', (code, message) => {
    expect(statusOf(new BatchRejection(code, message))).toEqual([code, message]);
  });

  it('answers a dead inference worker with UNAVAILABLE, so clients go to another pod', () => {
    expect(statusOf(new InferenceLostError('the text inference worker exited with code 1'))).toEqual([
      'UNAVAILABLE',
      'inference is not running on this embedder: the text inference worker exited with code 1',
    ]);
  });

  it('passes errors that already carry a status through, and leaves anything else for INTERNAL', () => {
    const parsed = invalidArgument('texts[0]: empty text');
    expect(toGrpcError(parsed)).toBe(parsed);
    const unexpected = new TypeError('a bug');
    expect(toGrpcError(unexpected)).toBe(unexpected);
  });
});
