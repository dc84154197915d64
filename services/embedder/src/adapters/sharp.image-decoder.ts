/**
 * Encoded images → model-sized RGB pixels with the shared preprocessing
 * library (sharp: decoding runs on libuv's thread pool, off the event loop).
 * At most `concurrency` files are decoded at once, so a burst of large
 * uploads cannot take every pool thread or hold many decoded images in memory.
 * The library's ImagePreprocessError becomes the port's ImageDecodeError.
 */
import { ImagePreprocessError, preprocessImage } from '@vsearch/preprocessing';
import { ImageDecodeError, ImageDecoder } from '../ports/image-decoder.port';

export class SharpImageDecoder extends ImageDecoder {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly limits: { maxBytes: number; maxPixels: number },
    private readonly observeSeconds?: (seconds: number) => void,
  ) {
    super();
  }

  async decode(encoded: Uint8Array, size: number): Promise<Uint8Array> {
    await this.slot();
    const started = performance.now();
    try {
      const { pixels } = await preprocessImage(encoded, { size }, this.limits);
      this.observeSeconds?.((performance.now() - started) / 1000);
      return pixels;
    } catch (error) {
      if (error instanceof ImagePreprocessError) throw new ImageDecodeError(`${error.code}: ${error.message}`);
      throw error;
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot slip in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  private async slot(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}
