/**
 * The port through which encoded images (JPEG, PNG, WebP) become model-sized
 * RGB pixels; an abstract class, so it is both the contract and the type the
 * embedding service is constructed with. Implemented by SharpImageDecoder.
 */
export abstract class ImageDecoder {
  /** Resolves with uint8 RGB, row-major (HWC), `size`×`size`; rejects with ImageDecodeError for a bad file. */
  abstract decode(encoded: Uint8Array, size: number): Promise<Uint8Array>;
}

/** The file could not be turned into pixels: corrupt, unsupported, or too many pixels. */
export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}
