export type ModelPullErrorCode = 'exists' | 'in_use' | 'not_found' | 'unauthorized' | 'http' | 'checksum' | 'size' | 'interrupted' | 'invalid';

export class ModelPullError extends Error {
  constructor(
    readonly code: ModelPullErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelPullError';
  }
}
