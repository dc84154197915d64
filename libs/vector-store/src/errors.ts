/**
 * Transport-neutral failures of the vector store. The search service maps
 * each kind to a gRPC status; adapters never leak SDK or HTTP errors.
 */
export type VectorStoreErrorKind = 'invalid-argument' | 'not-found' | 'already-exists' | 'failed-precondition' | 'unavailable';

export class VectorStoreError extends Error {
  constructor(
    readonly kind: VectorStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VectorStoreError';
  }

  static invalidArgument(message: string): VectorStoreError {
    return new VectorStoreError('invalid-argument', message);
  }

  static notFound(message: string): VectorStoreError {
    return new VectorStoreError('not-found', message);
  }

  static alreadyExists(message: string): VectorStoreError {
    return new VectorStoreError('already-exists', message);
  }

  static failedPrecondition(message: string): VectorStoreError {
    return new VectorStoreError('failed-precondition', message);
  }

  static unavailable(message: string, cause?: unknown): VectorStoreError {
    return new VectorStoreError('unavailable', message, { cause });
  }
}

export function isVectorStoreError(error: unknown, kind?: VectorStoreErrorKind): error is VectorStoreError {
  return error instanceof VectorStoreError && (kind === undefined || error.kind === kind);
}
