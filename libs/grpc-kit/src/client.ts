/**
 * Client options shared by every gRPC client. `dns:///` targets with
 * round_robin spread calls over every address a headless Kubernetes Service
 * returns; without it a long-lived HTTP/2 connection pins a client to one pod.
 * Every call gets a CLIENT span and carries the trace context in its metadata.
 */
import type { ClientOptions } from '@grpc/grpc-js';
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
