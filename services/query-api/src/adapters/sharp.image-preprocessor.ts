/** Photos preprocessed on this CPU pod (libs/preprocessing, sharp), so the embedder gets pixels. */
import { ImagePreprocessError, preprocessImage, type ImagePreprocessErrorCode } from '@vsearch/preprocessing';
import { ImageInputError, ImagePreprocessor, type ImageInputProblem } from '../ports';

const PROBLEMS: Record<ImagePreprocessErrorCode, ImageInputProblem> = {
  empty: 'undecodable',
  corrupt: 'undecodable',
  too_large: 'too_large',
  too_many_pixels: 'too_large',
  unsupported_format: 'unsupported_format',
};

export class SharpImagePreprocessor extends ImagePreprocessor {
  constructor(private readonly limits: { maxBytes: number; maxPixels: number }) {
    super();
  }

  async toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    try {
      return (await preprocessImage(bytes, { size }, this.limits)).pixels;
    } catch (error) {
      if (error instanceof ImagePreprocessError) throw new ImageInputError(PROBLEMS[error.code], error.message);
      throw error;
    }
  }
}
