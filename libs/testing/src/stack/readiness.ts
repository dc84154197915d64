/**
 * Whether a started service is ready, asked the way Kubernetes asks it: grpc.health.v1 for the
 * gRPC services (the whole-server status turns SERVING once the model is warm or the store is
 * open) and `GET /readyz` for the HTTP ones (200 once their dependencies answer).
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { StackServiceName } from './service-environment';

type HealthClient = grpc.Client & {
  check(request: { service: string }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: { status: unknown }) => void): void;
};
const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => HealthClient;

/** The whole-server status of grpc.health.v1 at `address` (`host:port`); rejects when unreachable. */
export async function grpcServingStatus(address: string, deadlineMs = 1_000): Promise<string> {
  const client = new HealthClient(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service: '' }, { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(String(response.status)))),
    );
  } finally {
    client.close();
  }
}

/** True once the service at `address` (as `addressOf` gives it) answers that it is ready. */
export async function isReady(name: StackServiceName, address: string): Promise<boolean> {
  if (name === 'embedder' || name === 'search') return (await grpcServingStatus(address)) === 'SERVING';
  const response = await fetch(`${address}/readyz`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status === 200;
}
