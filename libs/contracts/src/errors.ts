/**
 * Failures the platform's logic tells apart, whatever the transport. Logic
 * (a service's `services/` and `ports/`) throws these; each service's
 * transport folder (`grpc/` or `http/`) is the one place that maps them to a
 * gRPC status or an HTTP status, so no logic imports a transport.
 *
 * - InvalidRequestError: the caller's mistake (HTTP 4xx, gRPC INVALID_ARGUMENT); the message names the problem.
 * - NotFoundError: what the request names does not exist (HTTP 404, gRPC NOT_FOUND).
 * - OverloadedError: this service is full right now; retry later (HTTP 429/503, gRPC RESOURCE_EXHAUSTED).
 * - DependencyUnavailableError: a service or backend we depend on is down, overloaded or too slow:
 *   our outage, so work pauses and retries and is never dropped (HTTP 503, gRPC UNAVAILABLE).
 * - RejectedByDependencyError: a dependency refused this request's data for good (its status kept in `code`).
 */

/** What a service depends on, named in errors and logs. */
export type DependencyName = 'embedder' | 'describer' | 'search' | 'ingestion' | 'event-log' | 'vector-store' | 'image-host';

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    /** Machine-readable reason, for instance `invalid_parameter` or `empty_image`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    /** Machine-readable reason, for instance `product_not_found`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class OverloadedError extends Error {
  override readonly name = 'OverloadedError';
  constructor(
    message: string,
    /** When the caller may try again, if known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: DependencyName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unavailable: ${message}`, options);
  }
}

export class RejectedByDependencyError extends Error {
  override readonly name = 'RejectedByDependencyError';
  constructor(
    readonly dependency: DependencyName,
    /** The dependency's own status name, for instance `INVALID_ARGUMENT` or `ALREADY_EXISTS`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
