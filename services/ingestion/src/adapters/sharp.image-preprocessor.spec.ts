/**
 * real: the preprocessing library (sharp). mock: nothing.
 */
import sharp from 'sharp';
import { DecodeAdmissionGate } from '@vsearch/preprocessing';
import { ImageUnavailableError } from '../ports';
import { SharpImagePreprocessor } from './sharp.image-preprocessor';

describe(SharpImagePreprocessor.name, () => {
  const preprocessor = new SharpImagePreprocessor();

  async function failureOf(bytes: Uint8Array): Promise<ImageUnavailableError> {
    try {
      await preprocessor.toModelPixels(bytes, 8);
    } catch (error) {
      return error as ImageUnavailableError;
    }
    throw new Error('the bytes were decoded');
  }

  it('turns an image into RGB pixels of the model size', async () => {
    const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 200, g: 10, b: 10 } } })
      .png()
      .toBuffer();
    expect(await preprocessor.toModelPixels(png, 8)).toHaveLength(8 * 8 * 3);
  });

  it("reports bytes that are no image as a decode failure with the library's code", async () => {
    const failure = await failureOf(Buffer.from('<html>not an image</html>'));
    expect(failure).toBeInstanceOf(ImageUnavailableError);
    expect(failure).toMatchObject({ stage: 'decode', errorCode: 'unsupported_format' });
  });

  it('reports a truncated image as corrupt', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .png()
      .toBuffer();
    expect(await failureOf(png.subarray(0, 40))).toMatchObject({ stage: 'decode', errorCode: 'corrupt' });
  });

  it('makes decodes beyond its slots wait, never refusing one (ingestion pauses, it does not dead-letter its own load)', async () => {
    const gate = new DecodeAdmissionGate({ concurrency: 1, queueLimit: Infinity });
    const oneAtATime = new SharpImagePreprocessor(gate);
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3a7' } })
      .png()
      .toBuffer();
    const decodes = Array.from({ length: 6 }, () => oneAtATime.toModelPixels(png, 8));
    expect(gate.queued).toBe(5);
    const pixels = await Promise.all(decodes);
    expect(pixels.map((image) => image.length)).toEqual(Array(6).fill(8 * 8 * 3));
  });
});
