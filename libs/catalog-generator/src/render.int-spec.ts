/**
 * real: sharp (librsvg rasterising, JPEG/PNG/WebP encoders and decoders).
 * mock: nothing.
 */
import sharp from 'sharp';
import { parseHex } from './colour';
import { planRender, rasteriseUpright, renderProductImage } from './render';
import { createRng } from './rng';
import { sampleProductSpec } from './spec';
import { CATEGORIES, COLOURS, COLOUR_INFO, type Colour } from './vocab';

describe(renderProductImage.name, () => {
  it('renders every category as a decodable image of realistic size with a visible product', async () => {
    const rng = createRng(11);
    for (const category of CATEGORIES) {
      const spec = sampleProductSpec(rng, { category });
      const image = await renderProductImage(spec, `cat-${category}`);
      const decoded = await sharp(image.bytes).autoOrient().removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(decoded.info.format).toBe('raw');
      expect(Math.min(decoded.info.width, decoded.info.height)).toBeGreaterThanOrEqual(256);
      expect(Math.max(decoded.info.width, decoded.info.height)).toBeLessThanOrEqual(800);
      const stats = await sharp(image.bytes).stats();
      // A flat image would mean the silhouette is missing.
      expect(Math.max(...stats.channels.slice(0, 3).map((channel) => channel.stdev))).toBeGreaterThan(10);
    }
  });

  it('returns the same bytes for the same spec and render seed, and another pose for another seed', async () => {
    const spec = sampleProductSpec(createRng(12), { category: 'boot' });
    const [a, b, c] = await Promise.all([renderProductImage(spec, 'x'), renderProductImage(spec, 'x'), renderProductImage(spec, 'y')]);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    expect(Buffer.compare(a.bytes, c.bytes)).not.toBe(0);
  });

  it('stores EXIF-rotated JPEGs whose orientation gives back the upright scene', async () => {
    const spec = sampleProductSpec(createRng(13), { category: 'sneaker' });
    const seenOrientations = new Set<number>();
    for (let seed = 0; seenOrientations.size < 3 && seed < 400; seed++) {
      const plan = planRender(spec, seed, { format: 'jpeg' });
      if (plan.orientation === 1 || seenOrientations.has(plan.orientation)) continue;
      seenOrientations.add(plan.orientation);
      const image = await renderProductImage(spec, seed, { format: 'jpeg' });
      const metadata = await sharp(image.bytes).metadata();
      expect(metadata.orientation).toBe(image.orientation);
      expect([metadata.width, metadata.height]).toEqual([image.width, image.height]);
      const upright = await rasteriseUpright(plan).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const oriented = await sharp(image.bytes).autoOrient().removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect([oriented.info.width, oriented.info.height]).toEqual([upright.info.width, upright.info.height]);
      const meanAbsDiff = (a: Buffer, b: Buffer) => a.reduce((sum, value, i) => sum + Math.abs(value - b[i]), 0) / a.length;
      const correct = meanAbsDiff(upright.data, oriented.data);
      // JPEG error on a noisy photo only: a few grey levels. Turning the right answer upside down costs far more.
      expect(correct).toBeLessThan(8);
      const upsideDown = await sharp(oriented.data, { raw: oriented.info }).rotate(180).raw().toBuffer();
      expect(correct).toBeLessThan(meanAbsDiff(upright.data, upsideDown) / 2);
    }
    expect([...seenOrientations].sort()).toEqual([3, 6, 8]);
  });

  it('keeps solid colours nearest to their own name under the lighting it applies', async () => {
    const nominal = COLOURS.map((colour) => [colour, parseHex(COLOUR_INFO[colour].hex)] as const);
    const nearest = (rgb: number[]): Colour =>
      nominal.reduce<{ colour: Colour; distance: number }>(
        (best, [colour, hex]) => {
          const distance = (hex[0] - rgb[0]) ** 2 + (hex[1] - rgb[1]) ** 2 + (hex[2] - rgb[2]) ** 2;
          return distance < best.distance ? { colour, distance } : best;
        },
        { colour: 'red', distance: Infinity },
      ).colour;
    const rng = createRng(14);
    const misses: string[] = [];
    for (const colour of COLOURS) {
      for (let k = 0; k < 6; k++) {
        const spec = sampleProductSpec(rng, { category: 't-shirt', colour, pattern: 'solid' });
        const image = await renderProductImage(spec, `${colour}-${k}`, { format: 'png', transparent: true });
        const { data, info } = await sharp(image.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        const sum = [0, 0, 0];
        let count = 0;
        for (let i = 0; i < data.length; i += info.channels) {
          if (data[i + 3] < 255) continue;
          sum[0] += data[i];
          sum[1] += data[i + 1];
          sum[2] += data[i + 2];
          count++;
        }
        const mean = sum.map((value) => value / count);
        if (nearest(mean) !== colour) misses.push(`${colour} rendered as ${nearest(mean)} (${mean.map(Math.round).join(',')})`);
      }
    }
    expect(misses).toEqual([]);
  });

  it('renders transparent backgrounds with an alpha channel', async () => {
    const spec = sampleProductSpec(createRng(15), { category: 'lamp' });
    const image = await renderProductImage(spec, 1, { format: 'png', transparent: true });
    const metadata = await sharp(image.bytes).metadata();
    expect(metadata.hasAlpha).toBe(true);
    const { data } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
    const alphas = Array.from({ length: data.length / 4 }, (_, i) => data[i * 4 + 3]);
    expect(alphas.filter((alpha) => alpha === 0).length).toBeGreaterThan(alphas.length * 0.2);
    expect(alphas.filter((alpha) => alpha === 255).length).toBeGreaterThan(alphas.length * 0.05);
    expect(image.view).toEqual({ background: 'none', surface: false, tilt: expect.any(Number) as number });
  });

  it('records the backdrop and tilt of opaque renders for descriptions', async () => {
    const spec = sampleProductSpec(createRng(16), { category: 'mug' });
    const views = await Promise.all(
      Array.from({ length: 24 }, (_, k) => renderProductImage(spec, `view-${k}`, { format: 'jpeg' }).then((image) => image.view)),
    );
    expect(new Set(views.map((view) => view.background))).toEqual(new Set(['plain', 'gradient']));
    expect(views.some((view) => view.surface)).toBe(true);
    for (const view of views) expect(Math.abs(view.tilt)).toBeLessThanOrEqual(14);
  });
});
