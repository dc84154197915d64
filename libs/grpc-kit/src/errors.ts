/**
 * gRPC status errors with a reason a client can act on. Beside the status, an error may carry a
 * machine-readable reason (trailing metadata `x-error-reason`, like google.rpc.ErrorInfo's reason)
 * where one status covers cases a client must treat differently: FAILED_PRECONDITION for a
 * damaged collection (wait for its rebuild) is not FAILED_PRECONDITION for a missing alias.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

export { status as GrpcStatus } from '@grpc/grpc-js';

/** Trailing metadata key of an error's reason: lower-case ASCII, as gRPC metadata keys must be. */
export const ERROR_REASON_METADATA_KEY = 'x-error-reason';

export class GrpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
    /** A machine-readable reason within the status (UPPER_SNAKE_CASE), sent as `x-error-reason`. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }
}

export const invalidArgument = (message: string) => new GrpcError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new GrpcError(status.NOT_FOUND, message);
export const failedPrecondition = (message: string) => new GrpcError(status.FAILED_PRECONDITION, message);
export const resourceExhausted = (message: string) => new GrpcError(status.RESOURCE_EXHAUSTED, message);
export const unavailable = (message: string) => new GrpcError(status.UNAVAILABLE, message);
export const deadlineExceeded = (message: string) => new GrpcError(status.DEADLINE_EXCEEDED, message);

/** Turns anything thrown by a handler into the object grpc-js sends; unknown errors become INTERNAL. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof GrpcError) {
    const metadata = new Metadata();
    if (error.reason) metadata.set(ERROR_REASON_METADATA_KEY, error.reason);
    return { code: error.code, details: error.message, metadata };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: `internal error: ${message}`, metadata: new Metadata() };
}

/** True when a client-side error means the peer is down or overloaded, so the call may be retried later. */
export function isTransientGrpcError(error: unknown): boolean {
  const code = (error as { code?: number } | null)?.code;
  return code === status.UNAVAILABLE || code === status.RESOURCE_EXHAUSTED || code === status.DEADLINE_EXCEEDED;
}

/** The reason a failed call's trailers carry (`x-error-reason`), if any. */
export function errorReasonFrom(metadata: Metadata | undefined): string | undefined {
  const value = metadata?.get(ERROR_REASON_METADATA_KEY)[0];
  return value === undefined || value === '' ? undefined : String(value);
}

/** A failed client call to one of our gRPC services; `code` is the gRPC status, kept so callers can map it (503, pause, retry). */
export class GrpcCallError extends Error {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly code: status,
    readonly details: string,
    /** The server's machine-readable reason within the status (`x-error-reason`), if it sent one. */
    readonly reason?: string,
  ) {
    super(`${service} ${method} failed: ${status[code] ?? code}: ${details}`);
    this.name = 'GrpcCallError';
  }

  /** The service is down, overloaded or too slow right now: pause and retry later (HTTP 503). */
  get isTransient(): boolean {
    return isTransientGrpcError(this);
  }
}
