/**
 * TEMPORARY stand-in for @vsearch/preprocessing until that library lands,
 * with the same interface; deleted when the embedder switches to it.
 */
import sharp from 'sharp';

export class ImagePreprocessError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ImagePreprocessError';
  }
}

export async function preprocessImage(bytes: Uint8Array, options: { size: number; maxPixels?: number }): Promise<{ pixels: Uint8Array }> {
  try {
    const { data } = await sharp(bytes, { limitInputPixels: options.maxPixels ?? 40_000_000, failOn: 'error' })
      .rotate()
      .resize(options.size, options.size, { fit: 'cover', position: 'centre', kernel: 'cubic' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    const message = (error as Error).message;
    throw new ImagePreprocessError(/pixel limit/i.test(message) ? 'too-many-pixels' : 'undecodable', message);
  }
}

export function toNormalizedChw(
  pixels: Uint8Array,
  size: number,
  mean: readonly number[],
  std: readonly number[],
  out: Float32Array = new Float32Array(3 * size * size),
  offset = 0,
): Float32Array {
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * std[c]);
    const shift = mean[c] / std[c];
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = pixels[i * 3 + c] * scale - shift;
  }
  return out;
}
