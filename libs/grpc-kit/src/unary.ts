/**
 * Adapts an async handler to grpc-js's callback style, mapping thrown errors to statuses. Each
 * call runs in a SERVER span, the child of the caller's span when its metadata carries one.
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { recordFailure, SpanKind, startSpan, withContext } from '@vsearch/observability';
import { toServiceError } from './errors';
import { rpcSpanAttributes, traceContextFromMetadata } from './tracing';

export function unary<Req, Res>(handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const { name, attributes } = rpcSpanAttributes(call.getPath());
    const { span, context } = startSpan(name, { kind: SpanKind.SERVER, attributes, parent: traceContextFromMetadata(call.metadata) });
    withContext(context, () => handler(call.request, call)).then(
      (response) => {
        span.end();
        callback(null, response);
      },
      (error: unknown) => {
        const status = toServiceError(error);
        if (status.code !== undefined) span.setAttribute('rpc.grpc.status_code', status.code);
        recordFailure(span, error);
        span.end();
        callback(status);
      },
    );
  };
}
