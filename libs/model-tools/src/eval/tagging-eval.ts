/**
 * Zero-shot tagging quality on the evaluation catalog: a taxonomy of the generator's own attributes
 * (category, colour, pattern, in words the bundled model knows), label vectors from prompt
 * ensembles embedded by the text tower, products tagged by libs/zero-shot exactly as the search
 * service tags them, scored against the generator's ground truth. Each evaluation product has two
 * renders (two images), so the aggregation over a product's images is measured here too.
 *
 * Per attribute: accuracy (the most confident label is the true one, whatever the threshold),
 * coverage (share of products tagged at the threshold), precision of the applied tags, and the
 * expected calibration error of the top confidence (10 equal-width bins). Products whose colour ×
 * pattern combination was held out of training are reported separately.
 */
import { CATEGORIES, COLOURS, PATTERN_INFO, PATTERNS } from '@vsearch/catalog-generator';
import type { ActiveTagging, LabelVector, TaxonomyAttribute } from '@vsearch/contracts';
import type { ModelRuntime } from '@vsearch/model';
import { ensembleLabelVector, IMAGE_AGGREGATIONS, ZeroShotTagger, type ImageAggregation } from '@vsearch/zero-shot';
import type { EmbeddedEvalCatalog } from './evaluate-model';
import { embedTexts } from './evaluate-model';

/** The threshold the evaluation applies, chosen by measurement (docs/benchmarks.md "Zero-shot tagging"). */
export const EVAL_TAG_THRESHOLD = 0.5;
export const EVAL_TAG_AGGREGATION: ImageAggregation = 'mean-vector';
const CALIBRATION_BINS = 10;

/**
 * Prompt templates per attribute; `{label}` is the label. Words from the generator's captions, known to
 * the bundled tokenizer. Measured on seed 7 / 400 products, the pattern vocabulary ensemble below and
 * the two plain templates classify patterns equally well (95.5%); the ensemble is kept because its
 * confidences are slightly better calibrated (ECE 0.046 against 0.048) and it exercises per-label prompts.
 */
export const EVAL_TAXONOMY_PROMPTS: Record<'category' | 'colour' | 'pattern', readonly string[]> = {
  category: ['a photo of a {label}', 'a {label}'],
  colour: ['a {label} product', 'a photo of a {label} product'],
  pattern: ['a {label} product', 'a photo of a {label} product'],
};

/**
 * A pattern is named several ways ("solid" is also "plain", "dotted" also "polka dot"): each label's
 * prompts are the templates filled with each of its adjectives plus "a product with <noun>", the
 * prompt ensemble a merchandiser writes as a label's `prompts`.
 */
function patternPrompts(pattern: (typeof PATTERNS)[number]): string[] {
  const { adjectives, nouns } = PATTERN_INFO[pattern];
  return [
    ...adjectives.flatMap((adjective) => EVAL_TAXONOMY_PROMPTS.pattern.map((template) => template.replaceAll('{label}', adjective))),
    ...nouns.map((noun) => `a product with ${noun}`),
  ];
}
const LABELS = { category: CATEGORIES, colour: COLOURS, pattern: PATTERNS } as const;
type EvalAttribute = keyof typeof LABELS;
const ATTRIBUTES: readonly EvalAttribute[] = ['category', 'colour', 'pattern'];

export interface AttributeTaggingFigures {
  accuracy: number;
  coverage: number;
  precision: number;
  expectedCalibrationError: number;
}

/** The `tagging` object of `vsearch eval --json`. */
export interface TaggingEvalReport {
  threshold: number;
  aggregation: ImageAggregation;
  attributes: Record<EvalAttribute, AttributeTaggingFigures>;
  /** Products whose colour × pattern combination was held out of training. */
  heldOut: { products: number; colour: AttributeTaggingFigures; pattern: AttributeTaggingFigures };
  /** Accuracy per attribute for each way of aggregating a product's images, and for its one gallery image. */
  aggregations: Record<ImageAggregation | 'single-image', Record<EvalAttribute, number>>;
  /** Precision and coverage of every attribute at other thresholds, to choose the default by. */
  thresholds: Array<{ threshold: number; precision: number; coverage: number }>;
}

export interface EvaluateTaggingOptions {
  runtime: ModelRuntime;
  catalog: EmbeddedEvalCatalog;
  threshold?: number;
  aggregation?: ImageAggregation;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** The evaluation taxonomy with its label vectors, embedded by the runtime's text tower. */
export async function evalTagging(runtime: ModelRuntime, threshold: number): Promise<ActiveTagging> {
  const { modelId, logitScale } = runtime.info();
  const attributes: TaxonomyAttribute[] = ATTRIBUTES.map((name) => ({ name, mode: 'single', threshold, labels: LABELS[name].map((label) => ({ label })) }));
  const labelVectors: LabelVector[] = [];
  for (const name of ATTRIBUTES) {
    const templates = EVAL_TAXONOMY_PROMPTS[name];
    for (const label of LABELS[name]) {
      const prompts =
        name === 'pattern' ? patternPrompts(label as (typeof PATTERNS)[number]) : templates.map((template) => template.replaceAll('{label}', label));
      const embedded = await embedTexts(runtime, prompts, prompts.length);
      const dimension = embedded.length / prompts.length;
      const vectors = prompts.map((_, i) => embedded.subarray(i * dimension, (i + 1) * dimension));
      labelVectors.push({ attribute: name, label, vector: ensembleLabelVector(vectors, `${name} label "${label}"`) });
    }
  }
  return { taxonomy: { version: 1, createdAt: new Date(0).toISOString(), attributes }, modelId, logitScale, labelVectors };
}

interface Scored {
  truth: string;
  best: string;
  confidence: number;
  heldOut: boolean;
}

export async function evaluateTagging(options: EvaluateTaggingOptions): Promise<TaggingEvalReport> {
  const threshold = options.threshold ?? EVAL_TAG_THRESHOLD;
  const aggregation = options.aggregation ?? EVAL_TAG_AGGREGATION;
  const tagging = await evalTagging(options.runtime, threshold);
  const { plan, galleryVectors, queryVectors } = options.catalog;
  const dimension = galleryVectors.length / plan.products.length;
  const imagesOf = (index: number, both: boolean): Float32Array[] => {
    const gallery = galleryVectors.subarray(index * dimension, (index + 1) * dimension);
    return both && queryVectors ? [gallery, queryVectors.subarray(index * dimension, (index + 1) * dimension)] : [gallery];
  };
  const score = (tagger: ZeroShotTagger, both: boolean): Record<EvalAttribute, Scored[]> => {
    const out = { category: [], colour: [], pattern: [] } as Record<EvalAttribute, Scored[]>;
    plan.products.forEach((product, index) => {
      const images = imagesOf(index, both);
      for (const name of ATTRIBUTES) {
        const confidences = tagger.confidences(name, images);
        let best = 0;
        for (let i = 1; i < confidences.length; i++) if (confidences[i] > confidences[best]) best = i;
        out[name].push({ truth: product.spec[name], best: LABELS[name][best], confidence: confidences[best], heldOut: product.heldOut });
      }
    });
    return out;
  };

  const chosen = score(new ZeroShotTagger(tagging, { aggregation }), true);
  const figures = (rows: Scored[], at: number): AttributeTaggingFigures => {
    const applied = rows.filter((row) => row.confidence >= at);
    return {
      accuracy: round(share(rows, (row) => row.best === row.truth)),
      coverage: round(applied.length / Math.max(1, rows.length)),
      precision: round(applied.length === 0 ? 1 : share(applied, (row) => row.best === row.truth)),
      expectedCalibrationError: round(expectedCalibrationError(rows)),
    };
  };
  const accuracies = (scored: Record<EvalAttribute, Scored[]>) =>
    Object.fromEntries(ATTRIBUTES.map((name) => [name, round(share(scored[name], (row) => row.best === row.truth))])) as Record<EvalAttribute, number>;
  const aggregations = { 'single-image': accuracies(score(new ZeroShotTagger(tagging), false)) } as TaggingEvalReport['aggregations'];
  for (const candidate of IMAGE_AGGREGATIONS)
    aggregations[candidate] = accuracies(candidate === aggregation ? chosen : score(new ZeroShotTagger(tagging, { aggregation: candidate }), true));
  const all = ATTRIBUTES.flatMap((name) => chosen[name]);
  const heldOutRows = (name: EvalAttribute) => chosen[name].filter((row) => row.heldOut);
  return {
    threshold,
    aggregation,
    attributes: Object.fromEntries(ATTRIBUTES.map((name) => [name, figures(chosen[name], threshold)])) as Record<EvalAttribute, AttributeTaggingFigures>,
    heldOut: { products: heldOutRows('colour').length, colour: figures(heldOutRows('colour'), threshold), pattern: figures(heldOutRows('pattern'), threshold) },
    aggregations,
    thresholds: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((at) => {
      const applied = all.filter((row) => row.confidence >= at);
      return {
        threshold: at,
        precision: round(applied.length === 0 ? 1 : share(applied, (row) => row.best === row.truth)),
        coverage: round(applied.length / all.length),
      };
    }),
  };
}

function share<T>(rows: readonly T[], test: (row: T) => boolean): number {
  if (rows.length === 0) return 0;
  let hits = 0;
  for (const row of rows) if (test(row)) hits++;
  return hits / rows.length;
}

/** Σ over equal-width confidence bins of |accuracy − mean confidence| weighted by the bin's share. */
export function expectedCalibrationError(rows: ReadonlyArray<{ confidence: number; best: string; truth: string }>): number {
  if (rows.length === 0) return 0;
  const bins = Array.from({ length: CALIBRATION_BINS }, () => ({ count: 0, correct: 0, confidence: 0 }));
  for (const row of rows) {
    const bin = bins[Math.min(CALIBRATION_BINS - 1, Math.floor(row.confidence * CALIBRATION_BINS))];
    bin.count++;
    bin.confidence += row.confidence;
    if (row.best === row.truth) bin.correct++;
  }
  return bins.reduce(
    (sum, bin) => (bin.count === 0 ? sum : sum + (bin.count / rows.length) * Math.abs(bin.correct / bin.count - bin.confidence / bin.count)),
    0,
  );
}
