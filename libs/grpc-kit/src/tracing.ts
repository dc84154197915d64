/**
 * Trace context over gRPC: a client interceptor that opens a CLIENT span per call and sends
 * `traceparent` / `tracestate` in the call's metadata, and the server side's reading of them.
 */
import * as grpc from '@grpc/grpc-js';
import { extractTraceContext, injectTraceContext, isTraced, recordFailure, SpanKind, startSpan, type Context } from '@vsearch/observability';

/** The trace context a caller sent in a call's metadata (the root context when there is none). */
export function traceContextFromMetadata(metadata: grpc.Metadata): Context {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) if (typeof value === 'string') headers[key] = value;
  return extractTraceContext(headers);
}

/** Adds the current (or given) trace context to `metadata`; returns it. */
export function injectTraceContextIntoMetadata(metadata: grpc.Metadata, from?: Context): grpc.Metadata {
  for (const [key, value] of Object.entries(injectTraceContext<Record<string, string>>({}, from))) metadata.set(key, value);
  return metadata;
}

/** `/visualsearch.search.v1.SearchService/Search` → span name `visualsearch.search.v1.SearchService/Search`, plus RPC attributes. */
export function rpcSpanAttributes(path: string): { name: string; attributes: Record<string, string> } {
  const name = path.replace(/^\//, '');
  const [service = '', method = ''] = name.split('/');
  return { name, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } };
}

/** One CLIENT span per outgoing call, ended with the call's status; its context travels in the metadata. */
export const tracingClientInterceptor: grpc.Interceptor = (options, nextCall) => {
  const { name, attributes } = rpcSpanAttributes(options.method_definition.path);
  const { span, context } = startSpan(name, { kind: SpanKind.CLIENT, attributes });
  // Without tracing the call passes through: no metadata, no status listener.
  if (!isTraced(span)) return new grpc.InterceptingCall(nextCall(options));
  return new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      next(injectTraceContextIntoMetadata(metadata, context), {
        onReceiveStatus(status, nextStatus) {
          span.setAttribute('rpc.grpc.status_code', status.code);
          if (status.code !== grpc.status.OK) recordFailure(span, new Error(`${grpc.status[status.code]}: ${status.details}`));
          span.end();
          nextStatus(status);
        },
      });
    },
  });
};
