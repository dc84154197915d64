/**
 * ImagePreprocessor over the shared preprocessing library (sharp): decode, EXIF, resize and crop
 * to the model's input on this pod, behind a decode admission gate that never refuses: past its
 * slots a decode waits, so load shows as back-pressure (the partition pauses) and an image is
 * never dead-lettered because this pod is busy. Every failure is the image's: the library's
 * ImagePreprocessError keeps its code (`corrupt`, `unsupported_format`, ...), anything else the
 * decoder throws is `decode_failed`, both as the port's ImageUnavailableError (stage `decode`).
 */
import { DecodeAdmissionGate, ImagePreprocessError, preprocessImage } from '@vsearch/preprocessing';
import { ImagePreprocessor, ImageUnavailableError } from '../ports';

/** The decodes at once when none is given: libuv's default pool of 4 keeps one thread for file reads and DNS. */
const DEFAULT_DECODE_SLOTS = 3;

export class SharpImagePreprocessor extends ImagePreprocessor {
  constructor(private readonly gate = new DecodeAdmissionGate({ concurrency: DEFAULT_DECODE_SLOTS, queueLimit: Infinity })) {
    super();
  }

  async toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    try {
      const { pixels } = await this.gate.run(() => preprocessImage(bytes, { size }));
      return pixels;
    } catch (error) {
      const errorCode = error instanceof ImagePreprocessError ? error.code : 'decode_failed';
      throw new ImageUnavailableError('decode', errorCode, (error as Error).message, { cause: error });
    }
  }
}
