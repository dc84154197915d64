/**
 * Client options shared by every gRPC client. `dns:///` targets with
 * round_robin spread calls over every address a headless Kubernetes Service
 * returns; without it a long-lived HTTP/2 connection pins a client to one pod.
 * Every call gets a CLIENT span and carries the trace context in its metadata.
 */
import { Metadata, status, type CallOptions, type Client, type ClientOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { errorReasonFrom } from './errors';
import { tracingClientInterceptor } from './tracing';

export function clientChannelOptions(maxMessageBytes = 64 * 1024 * 1024): ClientOptions {
  return {
    interceptors: [tracingClientInterceptor],
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.enable_retries': 0,
  };
}

/** `host:port` → `dns:///host:port`, so the resolver returns every pod address. */
export function grpcTarget(address: string): string {
  return /^[a-z]+:/.test(address) && !/^[^:]+:\d+$/.test(address) ? address : `dns:///${address}`;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response?: Res) => void,
) => ClientUnaryCall;

export interface UnaryCallOptions {
  /** Time allowed for the call. */
  deadlineMs: number;
  /** Sent as `x-request-id` metadata, so the server's logs carry it. */
  requestId?: string;
}

/** Turns a failed call's status, details and reason (`x-error-reason`) into the client's own error. */
export type CallErrorFactory = (code: status, details: string, reason: string | undefined) => Error;

/** Calls `method` of a generic grpc-js client with a deadline and the request id; a failure becomes `toError(...)`. */
export function callUnary<Req, Res>(client: Client, method: string, request: Req, options: UnaryCallOptions, toError: CallErrorFactory): Promise<Res> {
  const metadata = new Metadata();
  if (options.requestId) metadata.set('x-request-id', options.requestId);
  const deadline = Date.now() + options.deadlineMs;
  const invoke = (client as unknown as Record<string, UnaryMethod<Req, Res>>)[method].bind(client);
  return new Promise((resolve, reject) => {
    invoke(request, metadata, { deadline }, (error, response) => {
      if (error) reject(toError(error.code ?? status.UNKNOWN, error.details ?? error.message, errorReasonFrom(error.metadata)));
      else resolve(response as Res);
    });
  });
}

/** Resolves once the client's channel is connected, or rejects with `toError(UNAVAILABLE, ...)` after `timeoutMs`. */
export function waitForClientReady(client: Client, timeoutMs: number, toError: CallErrorFactory): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(toError(status.UNAVAILABLE, error.message, undefined)) : resolve())),
  );
}
