/**
 * k6: the embedder-grpc scenario (load-tests/scenarios/embedder-grpc.json),
 * straight at the embedder with the repository's proto files. The proto is
 * loaded in the init context and each VU connects once.
 * Run from the repository root: EMBEDDER_ADDR=host:50051 k6 run load-tests/k6/embedder-grpc.ts
 */
import { check, fail } from 'k6';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import grpc from 'k6/net/grpc';
import { buildOptions, pickOne, pickWeighted, type GrpcRequestDefinition, type ScenarioDefinition } from '../lib/profiles.ts';

const definition = JSON.parse(open('../scenarios/embedder-grpc.json')) as ScenarioDefinition;
const target = __ENV[definition.target.env] || definition.target.default;
const client = new grpc.Client();
client.load(['../../proto'], 'visualsearch/embedder/v1/embedder_service.proto');

export const options = buildOptions(definition, 'embed');

export function setup(): { imageSize: number } {
  client.connect(target, { plaintext: true, timeout: '5s' });
  const info = client.invoke('visualsearch.embedder.v1.EmbedderService/GetModelInfo', {});
  client.close();
  if (info.status !== grpc.StatusOK) fail(`embedder ${target} is not ready: ${info.error ? JSON.stringify(info.error) : info.status}`);
  return { imageSize: (info.message as { imageSize: number }).imageSize };
}

let connected = false;

export function embed(data: { imageSize: number }) {
  if (!connected) {
    client.connect(target, { plaintext: true });
    connected = true;
  }
  const request = pickWeighted(definition.requests as GrpcRequestDefinition[], Math.random());
  const payload =
    request.kind === 'embed-texts'
      ? { texts: [pickOne(request.texts ?? ['shirt'], Math.random())], priority: request.priority }
      : {
          images: Array.from({ length: request.batch ?? 1 }, () => ({
            pixels: encoding.b64encode(new Uint8Array(data.imageSize * data.imageSize * 3).fill(exec.vu.idInTest % 255).buffer),
          })),
          priority: request.priority,
        };
  const method = request.kind === 'embed-texts' ? 'EmbedTexts' : 'EmbedImages';
  const response = client.invoke(`visualsearch.embedder.v1.EmbedderService/${method}`, payload);
  check(response, { [`${method} OK`]: (r) => r.status === grpc.StatusOK });
}
