/** Failures the pipeline tells apart: our own outages (pause and retry, never dead-letter) versus a write search refuses for good. */

/** The embedder, search or the event log is down, overloaded or too slow: pause the partition, retry, commit nothing. */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: 'embedder' | 'search' | 'event-log',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unavailable: ${message}`, options);
  }
}

/** A dependency refused this event's data for good (e.g. INVALID_ARGUMENT): dead-letter it. */
export class RejectedByDependencyError extends Error {
  override readonly name = 'RejectedByDependencyError';
  constructor(
    readonly dependency: 'embedder' | 'search',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** True for search's answer to creating a named collection that exists (gRPC ALREADY_EXISTS). */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof RejectedByDependencyError && error.code === 'ALREADY_EXISTS';
}
