/**
 * ImagePreprocessor over the shared preprocessing library (sharp): decode, EXIF, resize and crop
 * to the model's input on this pod. Every failure is the image's: the library's
 * ImagePreprocessError keeps its code (`corrupt`, `unsupported_format`, ...), anything else the
 * decoder throws is `decode_failed`, both as the port's ImageUnavailableError (stage `decode`).
 */
import { ImagePreprocessError, preprocessImage } from '@vsearch/preprocessing';
import { ImagePreprocessor, ImageUnavailableError } from '../ports';

export class SharpImagePreprocessor extends ImagePreprocessor {
  async toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    try {
      const { pixels } = await preprocessImage(bytes, { size });
      return pixels;
    } catch (error) {
      const errorCode = error instanceof ImagePreprocessError ? error.code : 'decode_failed';
      throw new ImageUnavailableError('decode', errorCode, (error as Error).message, { cause: error });
    }
  }
}
