/**
 * One way to run a gRPC server in every service: the ts-proto service
 * definitions, grpc.health.v1 (the whole-server status '' turns SERVING only
 * when the service says it is ready), server reflection, deliberate message
 * size limits and a graceful shutdown that lets in-flight calls finish.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { PROTO_ROOT } from '@vsearch/proto';

export interface GrpcServiceBinding {
  /** Fully qualified name, for health and logs: `visualsearch.embedder.v1.EmbedderService`. */
  name: string;
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  host?: string;
  port: number;
  services: GrpcServiceBinding[];
  /** .proto files (relative to the repository's proto/ root) served through reflection. */
  reflectionProtos: string[];
  maxReceiveMessageBytes: number;
  maxSendMessageBytes: number;
}

export interface RunningGrpcServer {
  port: number;
  /** Reports SERVING (or NOT_SERVING) for '' and every service. */
  setServing(serving: boolean): void;
  /** Reports one health service name, such as a part of a service (`visualsearch.search.v1.SearchService/products_v3`). */
  setStatus(service: string, status: 'SERVING' | 'NOT_SERVING'): void;
  /** Stops accepting calls, waits up to `graceMs` for in-flight ones, then forces. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
    'grpc.max_send_message_length': options.maxSendMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
  });
  for (const service of options.services) server.addService(service.definition, service.implementation);

  const statusMap: ServingStatusMap = { '': 'NOT_SERVING' };
  for (const service of options.services) statusMap[service.name] = 'NOT_SERVING';
  const health = new HealthImplementation(statusMap);
  health.addToServer(server);

  const packageDefinition = protoLoader.loadSync(options.reflectionProtos, { includeDirs: [PROTO_ROOT] });
  new ReflectionService(packageDefinition).addToServer(server);

  const host = options.host ?? '0.0.0.0';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  return {
    port,
    setServing(serving) {
      const status = serving ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', status);
      for (const service of options.services) health.setStatus(service.name, status);
    },
    setStatus(service, status) {
      health.setStatus(service, status);
    },
    shutdown(graceMs = 10_000) {
      health.setStatus('', 'NOT_SERVING');
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
