/**
 * Transport-neutral failures of the vector store. The search service maps
 * each kind to a gRPC status; adapters never leak SDK or HTTP errors.
 */
export type VectorStoreErrorKind = 'invalid-argument' | 'not-found' | 'already-exists' | 'failed-precondition' | 'unavailable';

/**
 * A case within a kind that callers must treat apart. 'collection-damaged' (failed-precondition):
 * the collection's stored files failed verification and it is refused until a rebuild replaces
 * it, so a writer waits instead of treating its write as refused. 'model-mismatch'
 * (failed-precondition): the request's vectors come from another model than the collection's, so
 * a caller can learn the collection's model and retry with it (DESIGN.md principle 5).
 */
export type VectorStoreErrorReason = 'collection-damaged' | 'model-mismatch';

export class VectorStoreError extends Error {
  readonly reason?: VectorStoreErrorReason;

  constructor(
    readonly kind: VectorStoreErrorKind,
    message: string,
    options?: { cause?: unknown; reason?: VectorStoreErrorReason },
  ) {
    super(message, options);
    this.name = 'VectorStoreError';
    this.reason = options?.reason;
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

  /** A damaged collection, refused for reads and writes until it is rebuilt. */
  static collectionDamaged(message: string): VectorStoreError {
    return new VectorStoreError('failed-precondition', message, { reason: 'collection-damaged' });
  }

  /** Vectors of another model than the collection's: refused even when the dimensions match. */
  static modelMismatch(message: string): VectorStoreError {
    return new VectorStoreError('failed-precondition', message, { reason: 'model-mismatch' });
  }

  static unavailable(message: string, cause?: unknown): VectorStoreError {
    return new VectorStoreError('unavailable', message, { cause });
  }
}

export function isVectorStoreError(error: unknown, kind?: VectorStoreErrorKind): error is VectorStoreError {
  return error instanceof VectorStoreError && (kind === undefined || error.kind === kind);
}
