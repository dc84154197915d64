import { status } from '@grpc/grpc-js';
import { EmbedderCallError, type EmbedderClient } from '@vsearch/grpc-clients';
import { DependencyUnavailableError, InvalidRequestError, type ModelInfo } from '@vsearch/contracts';
import { GrpcQueryEmbedder } from './grpc.query-embedder';

const MODEL: ModelInfo = {
  modelId: 'm@1',
  dimension: 2,
  imageSize: 4,
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
  resize: 'shortest-side-bicubic',
  crop: 'center',
  contextLength: 16,
  executionProvider: 'cpu',
  textScoreThreshold: 0.2,
  imageScoreThreshold: 0.6,
  logitScale: 100,
};

/** An EmbedderClient stand-in: records options, answers or fails as told. */
function fakeClient(behaviour: { fail?: EmbedderCallError }) {
  const calls: { method: string; options: unknown }[] = [];
  const answer = async <T>(method: string, options: unknown, value: T): Promise<T> => {
    calls.push({ method, options });
    if (behaviour.fail) throw behaviour.fail;
    return value;
  };
  const client = {
    getModelInfo: (options: unknown) => answer('getModelInfo', options, MODEL),
    embedTexts: (_texts: string[], options: unknown) => answer('embedTexts', options, [Float32Array.from([1, 0])]),
    embedPixels: (_pixels: Uint8Array[], options: unknown) => answer('embedPixels', options, [Float32Array.from([0, 1])]),
  };
  return { client: client as unknown as EmbedderClient, calls };
}

describe(GrpcQueryEmbedder.name, () => {
  it('embeds queries and photos on the interactive lane with the request id and a deadline, and passes the model info with its thresholds on', async () => {
    const { client, calls } = fakeClient({});
    const embedder = new GrpcQueryEmbedder(client, 1234);
    expect(await embedder.embedQueryText('red boots', { requestId: 'r-1' })).toEqual(Float32Array.from([1, 0]));
    expect(await embedder.embedQueryPixels(new Uint8Array(48), { requestId: 'r-2' })).toEqual(Float32Array.from([0, 1]));
    expect(await embedder.describeModel({ requestId: 'r-3' })).toEqual(MODEL);
    expect(calls).toEqual([
      { method: 'embedTexts', options: { priority: 'interactive', requestId: 'r-1', deadlineMs: 1234 } },
      { method: 'embedPixels', options: { priority: 'interactive', requestId: 'r-2', deadlineMs: 1234 } },
      { method: 'getModelInfo', options: { requestId: 'r-3', deadlineMs: 1234 } },
    ]);
  });

  it.each([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED, status.FAILED_PRECONDITION])(
    'turns gRPC status %s into a dependency outage',
    async (code) => {
      const embedder = new GrpcQueryEmbedder(fakeClient({ fail: new EmbedderCallError('embedTexts', code, 'busy') }).client, 1000);
      await expect(embedder.embedQueryText('x', { requestId: 'r' })).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(embedder.checkReady()).rejects.toBeInstanceOf(DependencyUnavailableError);
    },
  );

  it('turns INVALID_ARGUMENT into an invalid request and leaves other failures alone', async () => {
    const refused = new GrpcQueryEmbedder(fakeClient({ fail: new EmbedderCallError('embedTexts', status.INVALID_ARGUMENT, 'bad utf-8') }).client, 1000);
    await expect(refused.embedQueryText('x', { requestId: 'r' })).rejects.toMatchObject({ code: 'invalid_query' });
    await expect(refused.embedQueryText('x', { requestId: 'r' })).rejects.toBeInstanceOf(InvalidRequestError);
    const broken = new GrpcQueryEmbedder(fakeClient({ fail: new EmbedderCallError('embedTexts', status.INTERNAL, 'bug') }).client, 1000);
    await expect(broken.embedQueryText('x', { requestId: 'r' })).rejects.toBeInstanceOf(EmbedderCallError);
  });
});
