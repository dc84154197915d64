/**
 * real: sharp, the file system (a temporary directory), the catalog contract parser.
 * mock: nothing.
 */
import { parseCatalogEvent } from '@vsearch/contracts';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { generateCatalog, type ManifestEntry } from './catalog';
import { isHeldOut } from './spec';

function hashTree(dir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else hashes[path.relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return hashes;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

describe(generateCatalog.name, () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'catalog-generator-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes byte-identical catalogs for the same seed, whatever the concurrency', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => path.join(root, name));
    await generateCatalog({ seed: 5, count: 12, outDir: a, concurrency: 8 });
    await generateCatalog({ seed: 5, count: 12, outDir: b, concurrency: 1 });
    await generateCatalog({ seed: 6, count: 12, outDir: c });
    const hashesA = hashTree(a);
    expect(Object.keys(hashesA).length).toBeGreaterThan(12 + 2);
    expect(hashTree(b)).toEqual(hashesA);
    expect(hashTree(c)['catalog.jsonl']).not.toBe(hashesA['catalog.jsonl']);
  });

  it('writes valid catalog events, a manifest line per image file, and a variety of formats, sizes, orientations and alpha', async () => {
    const dir = path.join(root, 'variety');
    const progress: number[] = [];
    const result = await generateCatalog({
      seed: 42,
      count: 40,
      outDir: dir,
      baseUrl: 'http://images.test/cat/',
      onProgress: (p) => progress.push(p.products),
    });
    expect(progress).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    const events = readFileSync(path.join(dir, 'catalog.jsonl'), 'utf8').trim().split('\n');
    expect(events).toHaveLength(40);
    const manifest = readJsonl<ManifestEntry>(path.join(dir, 'manifest.jsonl'));
    expect(manifest).toHaveLength(result.images);
    const byImage = new Map(manifest.map((entry) => [`${entry.productId}/${entry.imageId}`, entry]));
    for (const [index, line] of events.entries()) {
      const parsed = parseCatalogEvent(line);
      if (!parsed.ok) throw new Error(parsed.error.message);
      const event = parsed.value;
      if (event.type !== 'product.upserted') throw new Error('expected product.upserted');
      expect(event.productId).toBe(`s42-${String(index + 1).padStart(6, '0')}`);
      expect(event.images.length).toBeGreaterThanOrEqual(1);
      expect(event.images.length).toBeLessThanOrEqual(3);
      for (const image of event.images) {
        const entry = byImage.get(`${event.productId}/${image.id}`);
        expect(entry).toBeDefined();
        expect(image.url).toBe(`http://images.test/cat/${entry!.file.replace(/^images\//, '')}`);
        expect(existsSync(path.join(dir, entry!.file))).toBe(true);
        expect(event.attributes).toEqual({ category: entry!.category, colour: entry!.colour, pattern: entry!.pattern });
        expect(event.categories[1]).toBe(entry!.category);
        expect(entry!.captions.length).toBeGreaterThanOrEqual(3);
      }
    }

    const formats = new Set<string>();
    const orientations = new Set<number>();
    let withAlpha = 0;
    let nonSquare = 0;
    for (const entry of manifest) {
      const metadata = await sharp(path.join(dir, entry.file)).metadata();
      expect(metadata.format).toBe(entry.format);
      expect([metadata.width, metadata.height]).toEqual([entry.width, entry.height]);
      expect(metadata.orientation ?? 1).toBe(entry.orientation);
      expect(Math.min(entry.width, entry.height)).toBeGreaterThanOrEqual(256);
      expect(Math.max(entry.width, entry.height)).toBeLessThanOrEqual(800);
      formats.add(entry.format);
      orientations.add(entry.orientation);
      if (metadata.hasAlpha) withAlpha++;
      if (entry.width !== entry.height) nonSquare++;
    }
    expect([...formats].sort()).toEqual(['jpeg', 'png', 'webp']);
    expect(orientations.size).toBeGreaterThanOrEqual(3);
    expect(withAlpha).toBeGreaterThan(0);
    expect(nonSquare).toBeGreaterThan(manifest.length / 3);
  });

  it('leaves the held-out combinations out of training data and keeps only them for evaluation', async () => {
    const training = path.join(root, 'train');
    const evaluation = path.join(root, 'eval');
    await generateCatalog({ seed: 1, count: 60, outDir: training, heldOut: 'exclude', imagesPerProduct: 1 });
    await generateCatalog({ seed: 1, count: 20, outDir: evaluation, heldOut: 'only', imagesPerProduct: 2 });
    const trainingEntries = readJsonl<ManifestEntry>(path.join(training, 'manifest.jsonl'));
    expect(trainingEntries).toHaveLength(60);
    expect(trainingEntries.some((entry) => isHeldOut(entry))).toBe(false);
    const evaluationEntries = readJsonl<ManifestEntry>(path.join(evaluation, 'manifest.jsonl'));
    expect(evaluationEntries).toHaveLength(40);
    expect(evaluationEntries.every((entry) => isHeldOut(entry) && entry.heldOut)).toBe(true);
  });

  it('replaces the images of a previous catalog in the same directory', async () => {
    const dir = path.join(root, 'regen');
    await generateCatalog({ seed: 2, count: 10, outDir: dir });
    await generateCatalog({ seed: 2, count: 3, outDir: dir });
    expect(readdirSync(path.join(dir, 'images')).sort()).toEqual(['s2-000001', 's2-000002', 's2-000003']);
  });
});
