/** Why the batcher refused or dropped a request, in terms a transport maps to its own status codes. */
export type BatchRejectionCode = 'RESOURCE_EXHAUSTED' | 'DEADLINE_EXCEEDED' | 'CANCELLED' | 'UNAVAILABLE';

export class BatchRejection extends Error {
  constructor(
    readonly code: BatchRejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'BatchRejection';
  }
}
