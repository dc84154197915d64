/**
 * `vsearch models calibrate`: derives a model's text and photo score cut-offs
 * from data on a generated catalog, and writes them into its model.json.
 * Text: the best hit of catalog-derived queries against the best hit of
 * nonsense queries. Photo: a second photo of a product against the products
 * sharing its category, colour and pattern (the hits photo search and "more
 * like this" should keep), against the best hit of unrelated photos.
 */
import { renameSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_MODEL_DIR, ModelManifestError, ModelRuntime, modelManifestSchema } from '@vsearch/model';
import { embedImages, embedTexts, planEvalCatalog, renderAndPreprocess, topK } from '../eval';
import { NONSENSE_QUERIES, catalogQueries, unrelatedPhotos } from './calibration-queries';
import { percentile, thresholdBetween, type ScoreThreshold } from './score-threshold';

export const DEFAULT_CALIBRATION_PRODUCTS = 300;
export const DEFAULT_CALIBRATION_SEED = 11;
const UNRELATED_PHOTOS = 50;

export interface CalibrateModelOptions {
  /** Model directory (default: the bundled model); ignored when `runtime` is given. */
  modelDir?: string;
  runtime?: ModelRuntime;
  /** Products in the generated catalog (at least 30). */
  products?: number;
  seed?: number;
  batchSize?: number;
  concurrency?: number;
  onProgress?: (line: string) => void;
}

export interface ScoreSummary {
  count: number;
  min: number;
  median: number;
  max: number;
}

export interface CalibratedThreshold extends ScoreThreshold {
  relevant: ScoreSummary;
  noise: ScoreSummary;
}

export interface CalibrationReport {
  modelId: string;
  products: number;
  seed: number;
  /** Becomes textSearchScoreThreshold. */
  text: CalibratedThreshold;
  /** Becomes imageSearchScoreThreshold (photo search and "more like this"). */
  image: CalibratedThreshold;
}

function summary(scores: readonly number[]): ScoreSummary {
  return { count: scores.length, min: percentile(scores, 0), median: percentile(scores, 50), max: percentile(scores, 100) };
}

function calibrated(relevant: number[], noise: number[]): CalibratedThreshold {
  return { ...thresholdBetween(relevant, noise), relevant: summary(relevant), noise: summary(noise) };
}

function cosine(a: Float32Array, aRow: number, b: Float32Array, bRow: number, dimension: number): number {
  let sum = 0;
  for (let i = 0; i < dimension; i++) sum += a[aRow * dimension + i] * b[bRow * dimension + i];
  return sum;
}

export async function calibrateModel(options: CalibrateModelOptions = {}): Promise<CalibrationReport> {
  const products = options.products ?? DEFAULT_CALIBRATION_PRODUCTS;
  const seed = options.seed ?? DEFAULT_CALIBRATION_SEED;
  const batchSize = options.batchSize ?? 64;
  const progress = options.onProgress ?? (() => undefined);
  const runtime = options.runtime ?? (await ModelRuntime.load(options.modelDir ?? BUNDLED_MODEL_DIR, { executionProviders: ['cpu'] }));
  try {
    const { dimension, imageSize, modelId } = runtime.info();
    const plan = planEvalCatalog(seed, products);
    progress(`calibrate: rendering ${2 * products} product photos (seed ${seed})`);
    const pixels = await renderAndPreprocess(plan, imageSize, options.concurrency ?? 8);
    progress('calibrate: embedding photos and queries');
    const count = plan.products.length;
    const gallery = await embedImages(
      runtime,
      pixels.map((photos) => photos[0]),
      batchSize,
    );
    const secondPhotos = await embedImages(
      runtime,
      pixels.map((photos) => photos[1]),
      batchSize,
    );
    const unrelated = await embedImages(runtime, unrelatedPhotos(seed, UNRELATED_PHOTOS, imageSize), batchSize);

    const bestHits = (queries: Float32Array, queryCount: number) =>
      Array.from({ length: queryCount }, (_, row) => topK(queries, row, gallery, count, dimension, 1)[0].score);
    const catalogTexts = catalogQueries(plan);
    const textRelevant = bestHits(await embedTexts(runtime, catalogTexts, batchSize), catalogTexts.length);
    const textNoise = bestHits(await embedTexts(runtime, NONSENSE_QUERIES, batchSize), NONSENSE_QUERIES.length);

    const photoRelevant: number[] = [];
    plan.products.forEach((query, row) => {
      plan.products.forEach((candidate, column) => {
        const { category, colour, pattern } = candidate.spec;
        if (category === query.spec.category && colour === query.spec.colour && pattern === query.spec.pattern) {
          photoRelevant.push(cosine(secondPhotos, row, gallery, column, dimension));
        }
      });
    });
    const photoNoise = bestHits(unrelated, UNRELATED_PHOTOS);

    return { modelId, products: count, seed, text: calibrated(textRelevant, textNoise), image: calibrated(photoRelevant, photoNoise) };
  } finally {
    if (!options.runtime) await runtime.close();
  }
}

/**
 * Sets textSearchScoreThreshold and imageSearchScoreThreshold in `<modelDir>/model.json`, keeping
 * every other field as written; the result is validated before it replaces the file (atomically).
 * Returns the file's path. Services read the cut-offs when they load the model.
 */
export function writeCalibratedThresholds(modelDir: string, report: Pick<CalibrationReport, 'text' | 'image'>): string {
  const manifestPath = path.join(modelDir, 'model.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  manifest.textSearchScoreThreshold = report.text.threshold;
  manifest.imageSearchScoreThreshold = report.image.threshold;
  const parsed = modelManifestSchema.safeParse(manifest);
  if (!parsed.success)
    throw new ModelManifestError(
      `${manifestPath} would be invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  const staged = `${manifestPath}.calibrated-${process.pid}`;
  writeFileSync(staged, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(staged, manifestPath);
  return manifestPath;
}
