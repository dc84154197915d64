/** ImagePreprocessor over the shared preprocessing library: decode, EXIF, resize and crop to the model's input on this pod. */
import { preprocessImage } from '@vsearch/preprocessing';
import { ImagePreprocessor } from '../ports';

export class SharpImagePreprocessor extends ImagePreprocessor {
  async toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    const { pixels } = await preprocessImage(bytes, { size });
    return pixels;
  }
}
