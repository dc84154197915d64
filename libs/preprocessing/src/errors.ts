export type ImagePreprocessErrorCode = 'empty' | 'too_large' | 'too_many_pixels' | 'unsupported_format' | 'corrupt';

/** A bad input image: callers map it to a 4xx / INVALID_ARGUMENT / dead letter, never a crash. */
export class ImagePreprocessError extends Error {
  constructor(
    readonly code: ImagePreprocessErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImagePreprocessError';
  }
}
