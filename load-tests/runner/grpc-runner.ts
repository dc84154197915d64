/**
 * An open-loop gRPC load runner on @grpc/grpc-js with an HDR histogram: calls
 * start on a fixed schedule whatever the server's speed (open-loop.ts), and
 * latency counts from the scheduled start, so a slow server cannot hide its
 * queueing. Loads the repository's own proto files.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { EMBEDDER_PROTO, PROTO_ROOT } from '@vsearch/proto';
import { LatencyRecorder, WeightedPicker } from './latency';
import { runOpenLoop } from './open-loop';
import { parseDurationMs, type GrpcRequestDefinition, type GrpcScenario } from './scenario';
import type { LoadResult } from './thresholds';

type UnaryMethod = (request: object, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: unknown) => void) => void;
type EmbedderStub = grpc.Client & Record<'EmbedTexts' | 'EmbedImages' | 'GetModelInfo', UnaryMethod>;

export function createEmbedderStub(target: string): EmbedderStub {
  const definition = protoLoader.loadSync(EMBEDDER_PROTO, { includeDirs: [PROTO_ROOT], longs: Number, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    visualsearch: { embedder: { v1: { EmbedderService: new (address: string, credentials: grpc.ChannelCredentials, options?: object) => EmbedderStub } } };
  };
  return new loaded.visualsearch.embedder.v1.EmbedderService(target, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
}

function call(stub: EmbedderStub, method: 'EmbedTexts' | 'EmbedImages' | 'GetModelInfo', request: object, deadlineMs: number): Promise<unknown> {
  return new Promise((resolve, reject) =>
    stub[method](request, { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

/** Fails fast, like a k6 `setup()`, when the embedder is down; returns its input size. */
export async function assertEmbedderReady(stub: EmbedderStub, target: string): Promise<{ imageSize: number }> {
  try {
    const info = (await call(stub, 'GetModelInfo', {}, 5000)) as { imageSize: number };
    return { imageSize: info.imageSize };
  } catch (error) {
    throw new Error(`embedder ${target} is not ready: ${(error as Error).message}`);
  }
}

export async function runGrpcLoad(scenario: GrpcScenario, target: string): Promise<LoadResult> {
  const stub = createEmbedderStub(target);
  try {
    const { imageSize } = await assertEmbedderReady(stub, target);
    const picker = new WeightedPicker<GrpcRequestDefinition>(scenario.requests, 11);
    const pixelBlocks = Array.from({ length: 8 }, (_, i) => Buffer.alloc(imageSize * imageSize * 3, (i * 37) % 256));
    const makeRequest = (definition: GrpcRequestDefinition): ['EmbedTexts' | 'EmbedImages', object] =>
      definition.kind === 'embed-texts'
        ? ['EmbedTexts', { texts: [picker.pickFrom(definition.texts)], priority: definition.priority }]
        : [
            'EmbedImages',
            { images: Array.from({ length: definition.batch }, () => ({ pixels: picker.pickFrom(pixelBlocks) })), priority: definition.priority },
          ];

    const recorder = new LatencyRecorder();
    const { elapsedMs } = await runOpenLoop({
      rate: scenario.profile.rate,
      durationMs: parseDurationMs(scenario.profile.duration),
      maxInFlight: scenario.profile.maxVUs,
      dropped: () => recorder.recordFailure('dropped: maxVUs in flight'),
      send: (arrival) => {
        const [method, request] = makeRequest(picker.pick());
        return call(stub, method, request, 10_000).then(
          () => recorder.recordSuccess(arrival.latencyMs()),
          (error: grpc.ServiceError) => recorder.recordFailure(`grpc ${grpc.status[error.code] ?? error.code}`, arrival.latencyMs()),
        );
      },
    });
    return recorder.result(scenario.name, target, elapsedMs);
  } finally {
    stub.close();
  }
}
