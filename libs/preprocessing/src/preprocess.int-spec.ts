/**
 * real: sharp (libvips decoders, resize, colour conversion), zlib for the PNG bomb.
 * mock: nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { pngBomb } from '@vsearch/testing';
import { ImagePreprocessError, preprocessImage, type ImagePreprocessErrorCode } from './index';

const FIXTURES = path.resolve(__dirname, '../fixtures');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

async function expectRefusal(promise: Promise<unknown>, code: ImagePreprocessErrorCode): Promise<ImagePreprocessError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImagePreprocessError);
  expect((error as ImagePreprocessError).code).toBe(code);
  expect((error as ImagePreprocessError).message.length).toBeGreaterThan(10);
  return error as ImagePreprocessError;
}

async function solid(colour: { r: number; g: number; b: number; alpha?: number }, width = 40, height = 30) {
  return sharp({ create: { width, height, channels: 4, background: { alpha: 1, ...colour } } });
}

function meanColour(pixels: Uint8Array): number[] {
  const sum = [0, 0, 0];
  for (let i = 0; i < pixels.length; i++) sum[i % 3] += pixels[i];
  return sum.map((value) => value / (pixels.length / 3));
}

describe(preprocessImage.name, () => {
  describe('refuses bad input with a typed error', () => {
    it('zero bytes', async () => {
      await expectRefusal(preprocessImage(new Uint8Array(0), { size: 32 }), 'empty');
    });

    it('more bytes than the limit', async () => {
      await expectRefusal(preprocessImage(fixture('photo.jpg'), { size: 32 }, { maxBytes: 1000 }), 'too_large');
    });

    it('a truncated JPEG', async () => {
      const jpeg = fixture('photo.jpg');
      await expectRefusal(preprocessImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)), { size: 32 }), 'corrupt');
    });

    it('a PNG signature followed by garbage', async () => {
      const bytes = Buffer.concat([fixture('tiny.png').subarray(0, 8), Buffer.from('definitely not a chunk stream')]);
      await expectRefusal(preprocessImage(bytes, { size: 32 }), 'corrupt');
    });

    it('a text file named .jpg', async () => {
      await expectRefusal(preprocessImage(Buffer.from('this is a text file called photo.jpg\n'), { size: 32 }), 'unsupported_format');
    });

    it('an SVG with an external reference', async () => {
      const svg =
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100"><image xlink:href="http://169.254.169.254/latest/meta-data" width="100" height="100"/></svg>';
      await expectRefusal(preprocessImage(Buffer.from(svg), { size: 32 }), 'unsupported_format');
      await expectRefusal(preprocessImage(Buffer.from(`<?xml version="1.0"?>\n${svg}`), { size: 32 }), 'unsupported_format');
    });

    it('a 30000 × 30000 PNG decompression bomb, from its header, without decoding it', async () => {
      const bomb = pngBomb(30_000);
      expect(bomb.length).toBeLessThan(200_000);
      const metadata = await sharp(bomb, { limitInputPixels: false }).metadata();
      expect([metadata.width, metadata.height]).toEqual([30_000, 30_000]);
      const error = await expectRefusal(preprocessImage(bomb, { size: 224 }), 'too_many_pixels');
      expect(error.message).toContain('30000×30000');
    });

    it('more pixels than a custom limit', async () => {
      await expectRefusal(preprocessImage(fixture('photo.jpg'), { size: 32 }, { maxPixels: 10_000 }), 'too_many_pixels');
    });
  });

  describe('decodes every supported variant to size × size RGB', () => {
    it('applies the EXIF orientation', async () => {
      const result = await preprocessImage(fixture('exif-orientation-6.jpg'), { size: 64 });
      // Stored 320 × 240 and tagged 6: upright it is 240 × 320.
      expect([result.sourceWidth, result.sourceHeight]).toEqual([240, 320]);
      expect(result.format).toBe('jpeg');
      // The same picture stored upright (orientation applied by sharp) preprocesses to the same pixels.
      const upright = await sharp(fixture('exif-orientation-6.jpg')).autoOrient().png().toBuffer();
      const expected = await preprocessImage(upright, { size: 64 });
      const diff = result.pixels.reduce((sum, value, i) => sum + Math.abs(value - expected.pixels[i]), 0) / result.pixels.length;
      expect(diff).toBeLessThan(0.5);
    });

    it('flattens alpha on white', async () => {
      const transparent = await (await solid({ r: 255, g: 0, b: 0, alpha: 0 })).png().toBuffer();
      expect(meanColour((await preprocessImage(transparent, { size: 16 })).pixels)).toEqual([255, 255, 255]);
      const halfRed = await (await solid({ r: 255, g: 0, b: 0, alpha: 0.5 })).png().toBuffer();
      const [r, g, b] = meanColour((await preprocessImage(halfRed, { size: 16 })).pixels);
      expect(r).toBe(255);
      expect(Math.abs(g - 127.5)).toBeLessThan(2);
      expect(Math.abs(b - 127.5)).toBeLessThan(2);
    });

    it('converts CMYK to sRGB through a colour profile', async () => {
      // An in-gamut colour: the sRGB → CMYK → sRGB round trip through libvips' CMYK profile stays within a few levels.
      const rgb = { r: 150, g: 110, b: 80 };
      const cmyk = await (await solid(rgb)).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
      expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
      const [r, g, b] = meanColour((await preprocessImage(cmyk, { size: 16 })).pixels);
      expect(Math.abs(r - rgb.r)).toBeLessThan(16);
      expect(Math.abs(g - rgb.g)).toBeLessThan(16);
      expect(Math.abs(b - rgb.b)).toBeLessThan(16);
    });

    it('converts 16-bit images to 8 bits', async () => {
      const sixteen = await (await solid({ r: 200, g: 100, b: 50 })).toColourspace('rgb16').png().toBuffer();
      expect((await sharp(sixteen).metadata()).depth).toBe('ushort');
      const result = await preprocessImage(sixteen, { size: 16 });
      expect(result.pixels).toHaveLength(16 * 16 * 3);
      expect(meanColour(result.pixels).map(Math.round)).toEqual([200, 100, 50]);
    });

    it('expands greyscale to three equal channels', async () => {
      const grey = fixture('greyscale.jpg');
      expect((await sharp(grey).metadata()).channels).toBe(1);
      const { pixels } = await preprocessImage(grey, { size: 32 });
      for (let i = 0; i < pixels.length; i += 3) {
        expect(pixels[i + 1]).toBe(pixels[i]);
        expect(pixels[i + 2]).toBe(pixels[i]);
      }
    });

    it('takes the first frame of an animated GIF', async () => {
      expect((await sharp(fixture('animated.gif')).metadata()).pages).toBe(2);
      const result = await preprocessImage(fixture('animated.gif'), { size: 32 });
      expect([result.sourceWidth, result.sourceHeight, result.format]).toEqual([240, 200, 'gif']);
      // The second frame is flat magenta (255, 0, 255); the first is a product on a light background.
      const [r, g, b] = meanColour(result.pixels);
      expect(g).toBeGreaterThan(100);
      expect(Math.abs(r - b) + Math.abs(r - g)).toBeLessThan(150);
    });

    it('takes the first frame of an animated WebP', async () => {
      const frames = Buffer.concat([Buffer.alloc(20 * 20 * 3, 0x40), Buffer.alloc(20 * 20 * 3, 0xc0)]);
      const webp = await sharp(frames, { raw: { width: 20, height: 40, channels: 3, pageHeight: 20 } })
        .webp({ lossless: true, loop: 0 })
        .toBuffer();
      expect((await sharp(webp).metadata()).pages).toBe(2);
      const result = await preprocessImage(webp, { size: 8 });
      expect(meanColour(result.pixels).map(Math.round)).toEqual([0x40, 0x40, 0x40]);
    });

    it('reads WebP and PNG, and crops the centre of a wide image', async () => {
      expect((await preprocessImage(fixture('photo.webp'), { size: 32 })).format).toBe('webp');
      // Left third red, middle blue, right third green: the centre crop is blue.
      const wide = Buffer.alloc(300 * 100 * 3);
      for (let y = 0; y < 100; y++) {
        for (let x = 0; x < 300; x++) wide.set(x < 100 ? [255, 0, 0] : x < 200 ? [0, 0, 255] : [0, 255, 0], (y * 300 + x) * 3);
      }
      const png = await sharp(wide, { raw: { width: 300, height: 100, channels: 3 } })
        .png()
        .toBuffer();
      const { pixels, format } = await preprocessImage(png, { size: 50 });
      expect(format).toBe('png');
      const [r, g, b] = meanColour(pixels);
      expect(b).toBeGreaterThan(250);
      expect(r + g).toBeLessThan(5);
    });

    it('never crashes on many bad and good inputs at once', async () => {
      const inputs = [
        fixture('photo.jpg'),
        Buffer.alloc(0),
        fixture('photo.jpg').subarray(0, 500),
        Buffer.from('nope'),
        fixture('alpha.png'),
        fixture('cmyk.jpg'),
      ];
      const results = await Promise.allSettled(inputs.flatMap((input) => [input, input]).map((input) => preprocessImage(input, { size: 48 })));
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ImagePreprocessError);
      }
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(6);
    });
  });
});
