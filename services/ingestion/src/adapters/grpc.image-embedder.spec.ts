/**
 * real: the embedder's gRPC client against a port nobody listens on, the client's own call errors.
 * mock: nothing.
 */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, RejectedByDependencyError } from '@vsearch/contracts';
import { EmbedderCallError } from '@vsearch/grpc-clients';
import { freePort } from '@vsearch/testing';
import { GrpcImageEmbedder, toPlatformError } from './grpc.image-embedder';

describe(GrpcImageEmbedder.name, () => {
  it('reports an embedder that does not answer as unavailable', async () => {
    const embedder = new GrpcImageEmbedder(`127.0.0.1:${await freePort()}`, 5_000);
    try {
      await expect(embedder.modelInfo()).rejects.toMatchObject({ name: 'DependencyUnavailableError', dependency: 'embedder' });
    } finally {
      embedder.close();
    }
  });
});

describe('toPlatformError', () => {
  it.each([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.INTERNAL, status.UNKNOWN])(
    'treats status %s as the embedder being unavailable (pause and retry)',
    (code) => {
      const error = toPlatformError(new EmbedderCallError('embedPixels', code, 'trouble'));
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).toMatchObject({ dependency: 'embedder' });
    },
  );

  it('treats any other status as a refusal of the pixels, named by the status', () => {
    const error = toPlatformError(new EmbedderCallError('embedPixels', status.INVALID_ARGUMENT, 'pixels of the wrong size'));
    expect(error).toBeInstanceOf(RejectedByDependencyError);
    expect(error).toMatchObject({ dependency: 'embedder', code: 'INVALID_ARGUMENT' });
    expect(error.message).toContain('pixels of the wrong size');
  });

  it('treats a failure that is no call error (the channel, the client) as the embedder being unavailable', () => {
    expect(toPlatformError(new Error('channel closed'))).toBeInstanceOf(DependencyUnavailableError);
  });
});
