/**
 * Writes a whole synthetic catalog: `catalog.jsonl` (product.upserted events),
 * `images/<productId>/<imageId>.<ext>` and `manifest.jsonl` (one line per image
 * with attributes and training captions). Products are drawn and rendered
 * concurrently, each from its own seed-derived stream, and written in index
 * order, so the output is byte-identical for the same arguments.
 */
import { validateCatalogEvent, type ProductUpserted } from '@vsearch/contracts';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { captionsFor } from './captions';
import { FILE_EXTENSIONS, renderProductImage, type ImageFormat, type SceneView } from './render';
import { createRng } from './rng';
import { isHeldOut, productDescription, productTitle, sampleProductSpec, type HeldOutMode, type ProductSpec } from './spec';

export const DEFAULT_CATALOG_BASE_URL = 'http://127.0.0.1:8080/catalog-images';

export interface GenerateCatalogOptions {
  seed: number;
  count: number;
  outDir: string;
  /** Image URLs are `${baseUrl}/<productId>/<imageId>.<ext>`. */
  baseUrl?: string;
  /** Fixed number of images per product (1–20); default: 1 to 3, drawn per product. */
  imagesPerProduct?: number;
  /** `exclude` for training data, `only` for held-out evaluation, default `include`. */
  heldOut?: HeldOutMode;
  /** Products rendered at once (default 8; sharp spreads them over libuv's thread pool). */
  concurrency?: number;
  onProgress?: (progress: CatalogProgress) => void;
}

export interface CatalogProgress {
  products: number;
  total: number;
  images: number;
}

export interface GenerateCatalogResult {
  products: number;
  images: number;
  /** Encoded image bytes written. */
  imageBytes: number;
  formats: Record<ImageFormat, number>;
  catalogPath: string;
  manifestPath: string;
  imagesDir: string;
  elapsedMs: number;
}

export interface ManifestEntry {
  productId: string;
  imageId: string;
  /** Relative to the catalog directory. */
  file: string;
  category: string;
  colour: string;
  pattern: string;
  captions: string[];
  title: string;
  brand: string;
  department: string;
  format: ImageFormat;
  /** Stored pixel size; apply `orientation` (EXIF) to get the upright image. */
  width: number;
  height: number;
  orientation: number;
  transparent: boolean;
  /** Background and tilt of this render (describer training builds descriptions from them). */
  view: SceneView;
  heldOut: boolean;
}

/** Product ids fold the seed in, so catalogs of different seeds can share an index. */
export function productIdFor(seed: number, index: number): string {
  return `s${seed}-${String(index).padStart(6, '0')}`;
}

const EPOCH_MS = Date.UTC(2026, 0, 1);

/** The product.upserted event of a spec (version 1, a deterministic timestamp). */
export function buildProductEvent(
  spec: ProductSpec,
  productId: string,
  images: { id: string; url: string }[],
  occurredAt: string = new Date(EPOCH_MS).toISOString(),
): ProductUpserted {
  return {
    type: 'product.upserted',
    productId,
    version: 1,
    title: productTitle(spec),
    description: productDescription(spec),
    brand: spec.brand,
    categories: [spec.department, spec.category],
    price: { amount: spec.price, currency: 'EUR' },
    inStock: spec.inStock,
    images,
    attributes: { category: spec.category, colour: spec.colour, pattern: spec.pattern },
    occurredAt,
  };
}

interface ProductOutput {
  eventLine: string;
  manifestLines: string[];
  imageBytes: number;
  formats: ImageFormat[];
}

async function generateProduct(
  options: Required<Pick<GenerateCatalogOptions, 'seed' | 'outDir' | 'baseUrl' | 'heldOut'>> & { imagesPerProduct?: number },
  index: number,
): Promise<ProductOutput> {
  const { seed, outDir, baseUrl, heldOut } = options;
  const rng = createRng(`${seed}:product:${index}`);
  const spec = sampleProductSpec(rng, { heldOut });
  const imageCount =
    options.imagesPerProduct ??
    rng.weighted([
      [1, 0.55],
      [2, 0.3],
      [3, 0.15],
    ]);
  const productId = productIdFor(seed, index);
  const productDir = path.join(outDir, 'images', productId);
  await mkdir(productDir, { recursive: true });
  const renders = await Promise.all(Array.from({ length: imageCount }, (_, j) => renderProductImage(spec, `${seed}:${index}:${j + 1}`)));
  const images: { id: string; url: string }[] = [];
  const manifestLines: string[] = [];
  let imageBytes = 0;
  for (const [j, render] of renders.entries()) {
    const imageId = `img-${j + 1}`;
    const fileName = `${imageId}.${FILE_EXTENSIONS[render.format]}`;
    await writeFile(path.join(productDir, fileName), render.bytes);
    imageBytes += render.bytes.length;
    images.push({ id: imageId, url: `${baseUrl}/${productId}/${fileName}` });
    const entry: ManifestEntry = {
      productId,
      imageId,
      file: `images/${productId}/${fileName}`,
      category: spec.category,
      colour: spec.colour,
      pattern: spec.pattern,
      captions: captionsFor(spec, createRng(`${seed}:captions:${index}:${j + 1}`)),
      title: productTitle(spec),
      brand: spec.brand,
      department: spec.department,
      format: render.format,
      width: render.width,
      height: render.height,
      orientation: render.orientation,
      transparent: render.transparent,
      view: render.view,
      heldOut: isHeldOut(spec),
    };
    manifestLines.push(JSON.stringify(entry));
  }
  const event = buildProductEvent(spec, productId, images, new Date(EPOCH_MS + index * 60_000).toISOString());
  const validation = validateCatalogEvent(event);
  if (!validation.ok) throw new Error(`generated an invalid event for ${productId}: ${validation.error.message}`);
  return { eventLine: JSON.stringify(event), manifestLines, imageBytes, formats: renders.map((render) => render.format) };
}

function writeLine(stream: WriteStream, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(`${line}\n`)) resolve();
    else stream.once('drain', resolve).once('error', reject);
  });
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** Generates `count` products into `outDir` (a previous catalog's images there are replaced). */
export async function generateCatalog(options: GenerateCatalogOptions): Promise<GenerateCatalogResult> {
  const started = performance.now();
  if (!Number.isSafeInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  if (!Number.isInteger(options.count) || options.count < 0) throw new Error(`count must be a non-negative integer, got ${options.count}`);
  if (
    options.imagesPerProduct !== undefined &&
    (!Number.isInteger(options.imagesPerProduct) || options.imagesPerProduct < 1 || options.imagesPerProduct > 20)
  ) {
    throw new Error(`imagesPerProduct must be an integer from 1 to 20, got ${options.imagesPerProduct}`);
  }
  const outDir = path.resolve(options.outDir);
  const imagesDir = path.join(outDir, 'images');
  const catalogPath = path.join(outDir, 'catalog.jsonl');
  const manifestPath = path.join(outDir, 'manifest.jsonl');
  await mkdir(outDir, { recursive: true });
  // Only a directory that holds a previous catalog gets its images replaced.
  if (existsSync(catalogPath)) await rm(imagesDir, { recursive: true, force: true });
  await mkdir(imagesDir, { recursive: true });

  const productOptions = {
    seed: options.seed,
    outDir,
    baseUrl: (options.baseUrl ?? DEFAULT_CATALOG_BASE_URL).replace(/\/+$/, ''),
    heldOut: options.heldOut ?? 'include',
    imagesPerProduct: options.imagesPerProduct,
  };
  const catalogStream = createWriteStream(catalogPath);
  const manifestStream = createWriteStream(manifestPath);
  const finished = new Map<number, ProductOutput>();
  const formats: Record<ImageFormat, number> = { jpeg: 0, png: 0, webp: 0 };
  let nextToWrite = 1;
  let nextToStart = 1;
  let images = 0;
  let imageBytes = 0;

  const flush = async (): Promise<void> => {
    for (let output = finished.get(nextToWrite); output; output = finished.get(nextToWrite)) {
      finished.delete(nextToWrite);
      await writeLine(catalogStream, output.eventLine);
      for (const line of output.manifestLines) await writeLine(manifestStream, line);
      images += output.manifestLines.length;
      imageBytes += output.imageBytes;
      for (const format of output.formats) formats[format]++;
      options.onProgress?.({ products: nextToWrite, total: options.count, images });
      nextToWrite++;
    }
  };

  let flushing: Promise<void> = Promise.resolve();
  const worker = async (): Promise<void> => {
    while (nextToStart <= options.count) {
      const index = nextToStart++;
      finished.set(index, await generateProduct(productOptions, index));
      // Flushes are chained so lines are written strictly in index order.
      flushing = flushing.then(flush);
      await flushing;
    }
  };
  try {
    const concurrency = Math.max(1, options.concurrency ?? 8);
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, options.count)) }, worker));
    await flushing;
  } finally {
    await Promise.all([closeStream(catalogStream), closeStream(manifestStream)]);
  }
  return {
    products: options.count,
    images,
    imageBytes,
    formats,
    catalogPath,
    manifestPath,
    imagesDir,
    elapsedMs: performance.now() - started,
  };
}
