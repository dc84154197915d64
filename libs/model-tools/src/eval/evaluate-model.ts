/**
 * Retrieval quality of a model directory on a generated evaluation catalog:
 * the figures `vsearch eval` prints and the quality-floor test asserts.
 * Real parts only: the catalog generator renders the images, the
 * preprocessing library turns them into pixels, the model runtime embeds them.
 */
import { CATEGORIES, COLOURS, type ProductAttributes } from '@vsearch/catalog-generator';
import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import { preprocessImage, toNormalizedChw } from '@vsearch/preprocessing';
import { EVAL_PROMPTS, planEvalCatalog, renderEvalImage, type EvalCatalogPlan, type EvalProduct } from './eval-catalog';
import { hitAtK, mean, nearest, precisionAtK, topK } from './retrieval-metrics';

export const DEFAULT_EVAL_SEED = 7;
export const DEFAULT_EVAL_COUNT = 1000;
const K = 10;

/** Exactly what `vsearch eval --json` prints. */
export interface EvalReport {
  model: string;
  seed: number;
  count: number;
  textToImage: { precisionAt10Seen: number; precisionAt10HeldOut: number; recallAt10Title: number };
  imageToImage: { recallAt10: number };
  zeroShot: { category: number; colour: number };
}

export interface EvalDetails {
  images: number;
  seenQueries: number;
  heldOutQueries: number;
  /** precision@10 per queried combination, for reading failures. */
  perQuery: { query: string; heldOut: boolean; precisionAt10: number }[];
  seconds: { catalog: number; embed: number; total: number };
}

/** The evaluation catalog with its gallery images embedded, for evaluations that index it (hybrid search). */
export interface EmbeddedEvalCatalog {
  plan: EvalCatalogPlan;
  /** One unit vector per product (its gallery render), row-major, `plan.products.length` × dimension. */
  galleryVectors: Float32Array;
  /** The second render of each product (the image→image query), same layout: a product's second image for tagging. */
  queryVectors?: Float32Array;
}

export interface EvaluateModelOptions {
  modelDir?: string;
  seed?: number;
  count?: number;
  /** Use this runtime instead of loading `modelDir` (it is not closed). */
  runtime?: ModelRuntime;
  /** Renders and preprocessings in flight (sharp's thread pool does the work). */
  concurrency?: number;
  batchSize?: number;
  onProgress?: (message: string) => void;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export async function mapPool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/**
 * Renders and preprocesses images of every product → per product, the pixels (uint8 RGB HWC) of
 * each render asked for, in order: by default both, [gallery, image→image query].
 */
export async function renderAndPreprocess(
  plan: EvalCatalogPlan,
  size: number,
  concurrency: number,
  renders: readonly (0 | 1)[] = [0, 1],
): Promise<Uint8Array[][]> {
  return mapPool(plan.products, concurrency, async (product: EvalProduct) => {
    const out: Uint8Array[] = [];
    for (const which of renders) out.push((await preprocessImage(await renderEvalImage(product, which), { size })).pixels);
    return out;
  });
}

/** Embeds preprocessed images (uint8 RGB HWC) in batches → count × D unit vectors. */
export async function embedImages(runtime: ModelRuntime, pixels: readonly Uint8Array[], batchSize: number): Promise<Float32Array> {
  const { imageSize: size, mean: pixelMean, std, dimension } = runtime.info();
  const out = new Float32Array(pixels.length * dimension);
  const plane = 3 * size * size;
  for (let start = 0; start < pixels.length; start += batchSize) {
    const count = Math.min(batchSize, pixels.length - start);
    const batch = new Float32Array(count * plane);
    for (let i = 0; i < count; i++) toNormalizedChw(pixels[start + i], size, pixelMean, std, batch, i * plane);
    out.set(await runtime.embedImageBatch(batch, count), start * dimension);
  }
  return out;
}

/** Embeds texts in batches → count × D unit vectors. */
export async function embedTexts(runtime: ModelRuntime, texts: readonly string[], batchSize: number): Promise<Float32Array> {
  const dimension = runtime.info().dimension;
  const out = new Float32Array(texts.length * dimension);
  for (let start = 0; start < texts.length; start += batchSize) {
    out.set(await runtime.embedTexts(texts.slice(start, start + batchSize)), start * dimension);
  }
  return out;
}

function sameAttributes(a: ProductAttributes, b: ProductAttributes): boolean {
  return a.category === b.category && a.colour === b.colour && a.pattern === b.pattern;
}

/** Runs the whole evaluation; `report` is the `--json` object. */
export async function evaluateModel(options: EvaluateModelOptions = {}): Promise<{ report: EvalReport; details: EvalDetails; catalog: EmbeddedEvalCatalog }> {
  const started = performance.now();
  const seed = options.seed ?? DEFAULT_EVAL_SEED;
  const count = options.count ?? DEFAULT_EVAL_COUNT;
  const batchSize = options.batchSize ?? 64;
  const progress = options.onProgress ?? (() => undefined);
  const runtime = options.runtime ?? (await ModelRuntime.load(options.modelDir ?? BUNDLED_MODEL_DIR, { executionProviders: ['cpu'] }));
  try {
    const { dimension, imageSize, modelId } = runtime.info();
    const plan = planEvalCatalog(seed, count);
    progress(`eval: rendering and preprocessing ${2 * count} images (seed ${seed})`);
    const pixels = await renderAndPreprocess(plan, imageSize, options.concurrency ?? 8);
    const catalogDone = performance.now();

    progress('eval: embedding');
    const n = plan.products.length;
    const gallery = await embedImages(
      runtime,
      pixels.map((p) => p[0]),
      batchSize,
    );
    const queries = await embedImages(
      runtime,
      pixels.map((p) => p[1]),
      batchSize,
    );
    const attributeQueries = [...plan.seenQueries.map((q) => ({ q, heldOut: false })), ...plan.heldOutQueries.map((q) => ({ q, heldOut: true }))];
    const attributeTexts = await embedTexts(
      runtime,
      attributeQueries.map(({ q }) => EVAL_PROMPTS.attributes(q)),
      batchSize,
    );
    const titleTexts = await embedTexts(
      runtime,
      plan.products.map((p) => p.title),
      batchSize,
    );
    const categoryTexts = await embedTexts(runtime, CATEGORIES.map(EVAL_PROMPTS.category), batchSize);
    const colourTexts = await embedTexts(runtime, COLOURS.map(EVAL_PROMPTS.colour), batchSize);
    const embedDone = performance.now();

    const perQuery = attributeQueries.map(({ q, heldOut }, row) => {
      const ranked = topK(attributeTexts, row, gallery, n, dimension, K).map((hit) => hit.index);
      return { query: EVAL_PROMPTS.attributes(q), heldOut, precisionAt10: precisionAtK(ranked, (i) => sameAttributes(plan.products[i].spec, q), K) };
    });
    const titleRecall = plan.products.map((_, row) =>
      hitAtK(
        topK(titleTexts, row, gallery, n, dimension, K).map((hit) => hit.index),
        row,
        K,
      ),
    );
    const imageRecall = plan.products.map((_, row) =>
      hitAtK(
        topK(queries, row, gallery, n, dimension, K).map((hit) => hit.index),
        row,
        K,
      ),
    );
    const categoryOf = nearest(gallery, n, categoryTexts, CATEGORIES.length, dimension);
    const colourOf = nearest(gallery, n, colourTexts, COLOURS.length, dimension);

    const report: EvalReport = {
      model: modelId,
      seed,
      count,
      textToImage: {
        precisionAt10Seen: round(mean(perQuery.filter((q) => !q.heldOut).map((q) => q.precisionAt10))),
        precisionAt10HeldOut: round(mean(perQuery.filter((q) => q.heldOut).map((q) => q.precisionAt10))),
        recallAt10Title: round(mean(titleRecall)),
      },
      imageToImage: { recallAt10: round(mean(imageRecall)) },
      zeroShot: {
        category: round(mean(plan.products.map((p, i) => (CATEGORIES[categoryOf[i]] === p.spec.category ? 1 : 0)))),
        colour: round(mean(plan.products.map((p, i) => (COLOURS[colourOf[i]] === p.spec.colour ? 1 : 0)))),
      },
    };
    const finished = performance.now();
    return {
      report,
      catalog: { plan, galleryVectors: gallery, queryVectors: queries },
      details: {
        images: 2 * n,
        seenQueries: plan.seenQueries.length,
        heldOutQueries: plan.heldOutQueries.length,
        perQuery,
        seconds: { catalog: round((catalogDone - started) / 1000), embed: round((embedDone - catalogDone) / 1000), total: round((finished - started) / 1000) },
      },
    };
  } finally {
    if (!options.runtime) await runtime.close();
  }
}
