/**
 * Fidelity against the Python/PIL reference of the model's preprocessing rule
 * (tools/preprocessing-reference/reference.py, whose outputs are committed in
 * fixtures/reference/<fixture>.<size>.png).
 *
 * Tolerance, in 8-bit levels over all size × size × 3 values: mean absolute
 * difference ≤ 0.5 and max ≤ 10 for every fixture (measured: mean ≤ 0.36,
 * max ≤ 7; libvips and PIL round intermediate values differently), except
 * cmyk.jpg: PIL converts CMYK to RGB naively, without a colour profile, while
 * libvips applies an ICC transform (its built-in CMYK profile when the file
 * has none), so there the bound is mean ≤ 10, max ≤ 48 (measured 7.6 and 36).
 *
 * real: sharp, the committed fixtures and PIL outputs. mock: nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { preprocessImage } from './preprocess';

const FIXTURES = path.resolve(__dirname, '../fixtures');
const SIZES = [64, 224];
const fixtures = readdirSync(FIXTURES).filter((name) => /\.(jpg|png|webp|gif)$/.test(name));

const TOLERANCE = { mean: 0.5, max: 10 };
const CMYK_TOLERANCE = { mean: 10, max: 48 };

describe(`${preprocessImage.name} against PIL`, () => {
  it('has a reference output for every fixture and size', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    const references = new Set(readdirSync(path.join(FIXTURES, 'reference')));
    for (const name of fixtures) for (const size of SIZES) expect(references).toContain(`${name}.${size}.png`);
  });

  it.each(fixtures.flatMap((name) => SIZES.map((size) => [name, size] as const)))('%s at %i px matches PIL within tolerance', async (name, size) => {
    const ours = await preprocessImage(readFileSync(path.join(FIXTURES, name)), { size });
    const reference = await sharp(path.join(FIXTURES, 'reference', `${name}.${size}.png`))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([reference.info.width, reference.info.height, reference.info.channels]).toEqual([size, size, 3]);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < reference.data.length; i++) {
      const diff = Math.abs(reference.data[i] - ours.pixels[i]);
      sum += diff;
      max = Math.max(max, diff);
    }
    const tolerance = name === 'cmyk.jpg' ? CMYK_TOLERANCE : TOLERANCE;
    expect(sum / reference.data.length).toBeLessThanOrEqual(tolerance.mean);
    expect(max).toBeLessThanOrEqual(tolerance.max);
  });
});
