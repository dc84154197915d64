/**
 * Turns generated catalogs (`npx vsearch generate ...`) into the training dataset of clip-mini and describer-mini:
 * every image goes through OUR preprocessing library (the exact pixels the embedder sees at
 * inference), is stored as a lossless WebP at the model's input size, and all of them are packed
 * into one file with the captions and the catalog vocabulary beside it (training/vsearch_clip/data.py
 * reads it).
 *
 *   node tools/cli/bin/run-ts.js training/prepare-dataset.ts --out tmp/training/dataset \
 *     --train tmp/training/catalog-train --val tmp/training/catalog-val [--val DIR ...] [--size 64]
 */
import { CATEGORIES, CATEGORY_INFO, COLOURS, COLOUR_INFO, HELD_OUT_COMBINATIONS, PATTERNS, PATTERN_INFO, type ManifestEntry } from '@vsearch/catalog-generator';
import { BUNDLED_MODEL_DIR, loadModelDirectory } from '@vsearch/model';
import { preprocessImage } from '@vsearch/preprocessing';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

interface Args {
  out: string;
  train: string[];
  val: string[];
  size: number;
  concurrency: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { out: '', train: [], val: [], size: loadModelDirectory(BUNDLED_MODEL_DIR).manifest.image.size, concurrency: 8 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--out':
        args.out = value;
        i++;
        break;
      case '--train':
        args.train.push(value);
        i++;
        break;
      case '--val':
        args.val.push(value);
        i++;
        break;
      case '--size':
        args.size = Number(value);
        i++;
        break;
      case '--concurrency':
        args.concurrency = Number(value);
        i++;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!args.out || args.train.length === 0) throw new Error('usage: prepare-dataset.ts --out DIR --train CATALOG_DIR [--val CATALOG_DIR ...] [--size S]');
  return args;
}

async function readManifest(catalogDir: string): Promise<ManifestEntry[]> {
  const text = await readFile(path.join(catalogDir, 'manifest.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as ManifestEntry);
}

/** Our preprocessing (decode, EXIF, alpha on white, shortest-side bicubic, centre crop) → lossless WebP. */
async function encodeImage(file: string, size: number): Promise<Buffer> {
  const pixels = await preprocessImage(await readFile(file), { size });
  return sharp(Buffer.from(pixels.pixels.buffer, pixels.pixels.byteOffset, pixels.pixels.byteLength), { raw: { width: size, height: size, channels: 3 } })
    .webp({ lossless: true, effort: 4 })
    .toBuffer();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const jobs: { catalogDir: string; entry: ManifestEntry; split: 'train' | 'val' }[] = [];
  for (const [split, dirs] of [
    ['train', args.train],
    ['val', args.val],
  ] as const) {
    for (const catalogDir of dirs) for (const entry of await readManifest(catalogDir)) jobs.push({ catalogDir, entry, split });
  }
  const encoded: Buffer[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const { catalogDir, entry } = jobs[index];
      encoded[index] = await encodeImage(path.join(catalogDir, entry.file), args.size);
      if (++done % 2000 === 0) process.stderr.write(`prepare: ${done}/${jobs.length} images\n`);
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));

  const offsets = [0];
  for (const bytes of encoded) offsets.push(offsets[offsets.length - 1] + bytes.length);
  await mkdir(args.out, { recursive: true });
  await writeFile(path.join(args.out, 'pixels.bin'), Buffer.concat(encoded));
  const dataset = {
    about: 'clip-mini training data, written by training/prepare-dataset.ts; pixels from @vsearch/preprocessing',
    size: args.size,
    sources: { train: args.train, val: args.val },
    pixels: { file: 'pixels.bin', encoding: 'webp-lossless', offsets },
    vocabulary: {
      categories: CATEGORIES.map((name) => ({ name, synonyms: [...CATEGORY_INFO[name].synonyms] })),
      colours: COLOURS.map((name) => ({ name, synonyms: [...COLOUR_INFO[name].synonyms] })),
      patterns: PATTERNS.map((name) => ({ name, adjectives: [...PATTERN_INFO[name].adjectives], nouns: [...PATTERN_INFO[name].nouns] })),
    },
    heldOut: HELD_OUT_COMBINATIONS,
    images: jobs.map(({ entry, split }) => ({
      productId: entry.productId,
      imageId: entry.imageId,
      split,
      category: entry.category,
      colour: entry.colour,
      pattern: entry.pattern,
      heldOut: entry.heldOut,
      title: entry.title,
      brand: entry.brand,
      captions: entry.captions,
      view: entry.view,
    })),
  };
  await writeFile(path.join(args.out, 'dataset.json'), JSON.stringify(dataset));
  const megabytes = offsets[offsets.length - 1] / 1e6;
  console.log(
    `prepared ${jobs.length} images (${megabytes.toFixed(1)} MB of lossless WebP) in ${((performance.now() - started) / 1000).toFixed(1)} s → ${args.out}`,
  );
}

main().catch((error: unknown) => {
  console.error(`prepare-dataset: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
