/**
 * What every gRPC call of the embedder process goes through, whichever service it belongs to:
 * request id and logger, the call's deadline and cancellation for the batchers, error mapping
 * (grpc-error.mapping.ts) and counting.
 */
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { GrpcStatus, toServiceError } from '@vsearch/grpc-kit';
import { requestIdFrom, REQUEST_ID_HEADER, type Logger } from '@vsearch/observability';
import type { Counter } from 'prom-client';
import { toGrpcError } from './grpc-error.mapping';

/** What a batcher needs of the call. */
export interface CallOptions {
  /** Absolute time on `performance.now()`'s clock; undefined when the client set none. */
  deadline?: number;
  signal: AbortSignal;
}

export interface CallContext {
  logger: Logger;
  /** Failed calls by method and status code. */
  errors: Counter<'method' | 'code'>;
}

export async function handleCall<T>(
  context: CallContext,
  method: string,
  call: ServerUnaryCall<unknown, unknown>,
  work: (options: CallOptions) => Promise<T>,
): Promise<T> {
  const { logger } = context;
  const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_HEADER).map(String));
  // Made only when something is logged: a child logger per call is measurable at thousands of calls/s.
  const log = () => logger.child({ requestId, method });
  const cancelled = new AbortController();
  const onCancelled = () => cancelled.abort();
  call.once('cancelled', onCancelled);
  const started = performance.now();
  try {
    const result = await work({ deadline: deadlineOf(call), signal: cancelled.signal });
    if (logger.isLevelEnabled('debug')) log().debug({ ms: Math.round(performance.now() - started) }, 'call done');
    return result;
  } catch (thrown) {
    const error = toGrpcError(thrown);
    const { code, details } = toServiceError(error);
    context.errors.inc({ method, code: GrpcStatus[code ?? GrpcStatus.UNKNOWN] });
    if (code === GrpcStatus.INTERNAL) log().error({ err: thrown }, 'call failed');
    else log().info({ code: GrpcStatus[code ?? GrpcStatus.UNKNOWN], details }, 'call refused');
    throw error;
  } finally {
    call.removeListener('cancelled', onCancelled);
  }
}

/** The call's deadline on `performance.now()`'s clock, or undefined when the client set none. */
function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  return performance.now() + (at - Date.now());
}
