/**
 * Writes the preprocessing fixtures (libs/preprocessing/fixtures/*): small
 * product images in every input variant the preprocessing library must
 * handle. Run once; the files are committed, then reference.py computes the
 * expected tensors with PIL.
 *
 *   node tools/cli/bin/run-ts.js tools/preprocessing-reference/make-fixtures.ts
 */
import { createRng, renderProductImage, sampleProductSpec, type Category } from '@vsearch/catalog-generator';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const OUT = path.resolve(__dirname, '../../libs/preprocessing/fixtures');

/** An upright product scene, resized to width × height, as raw RGB or RGBA. */
async function scene(category: Category, seed: number, width: number, height: number, transparent = false): Promise<{ data: Buffer; channels: 3 | 4 }> {
  const spec = sampleProductSpec(createRng(`fixture-${seed}`), { category });
  const image = await renderProductImage(spec, `fixture-${seed}`, { format: 'png', transparent });
  const pipeline = sharp(image.bytes).resize(width, height, { fit: 'fill' });
  const { data, info } = await (transparent ? pipeline.ensureAlpha() : pipeline.removeAlpha()).raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels as 3 | 4 };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const write = (name: string, bytes: Buffer) => {
    writeFileSync(path.join(OUT, name), bytes);
    console.log(`${name}: ${bytes.length} bytes`);
  };
  const raw = (image: { data: Buffer; channels: 3 | 4 }, width: number, height: number) =>
    sharp(image.data, { raw: { width, height, channels: image.channels } });

  write(
    'photo.jpg',
    await raw(await scene('sneaker', 1, 300, 224), 300, 224)
      .jpeg({ quality: 85 })
      .toBuffer(),
  );
  // Stored rotated: applying orientation 6 (rotate 90° clockwise) gives the upright 240 × 320 scene.
  write(
    'exif-orientation-6.jpg',
    await raw(await scene('dress', 2, 240, 320), 240, 320)
      .rotate(270)
      .jpeg({ quality: 85 })
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  );
  write(
    'exif-orientation-3.jpg',
    await raw(await scene('boot', 3, 320, 256), 320, 256)
      .rotate(180)
      .jpeg({ quality: 85 })
      .withMetadata({ orientation: 3 })
      .toBuffer(),
  );
  write(
    'alpha.png',
    await raw(await scene('lamp', 4, 260, 300, true), 260, 300)
      .png()
      .toBuffer(),
  );
  write(
    'greyscale.jpg',
    await raw(await scene('mug', 5, 280, 280), 280, 280)
      .toColourspace('b-w')
      .jpeg({ quality: 85 })
      .toBuffer(),
  );
  write(
    'rgb16.png',
    await raw(await scene('handbag', 6, 200, 150), 200, 150)
      .toColourspace('rgb16')
      .png()
      .toBuffer(),
  );
  write(
    'cmyk.jpg',
    await raw(await scene('watch', 7, 256, 300), 256, 300)
      .toColourspace('cmyk')
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  write(
    'photo.webp',
    await raw(await scene('backpack', 8, 320, 240), 320, 240)
      .webp({ quality: 85 })
      .toBuffer(),
  );
  write(
    'portrait.png',
    await raw(await scene('chair', 9, 150, 270), 150, 270)
      .png()
      .toBuffer(),
  );
  write(
    'tiny.png',
    await raw(await scene('cap', 10, 50, 40), 50, 40)
      .png()
      .toBuffer(),
  );
  // Two frames: the product, then a flat magenta frame that must never be used.
  const first = await scene('t-shirt', 11, 240, 200);
  const second = Buffer.alloc(240 * 200 * 3);
  for (let i = 0; i < second.length; i += 3) second.set([255, 0, 255], i);
  write(
    'animated.gif',
    await sharp(Buffer.concat([first.data, second]), { raw: { width: 240, height: 400, channels: 3, pageHeight: 200 } })
      .gif({ loop: 0, delay: [100, 100] })
      .toBuffer(),
  );
}

void main();
