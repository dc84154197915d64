/**
 * Tags products from their stored image vectors with one active tagging (taxonomy + label vectors).
 * Built once per tagging: each attribute's label vectors become one row-major Float32Array, so
 * tagging a product is a tight dot-product loop with buffers reused across products (re-tagging a
 * whole catalog from stored vectors runs at tens of thousands of products per second on one core).
 *
 * Per attribute: cosines of the product (see image-aggregation.ts) with every label, softmax over the
 * attribute's labels of logitScale × cosine, then `single` keeps the best label if it reaches the
 * threshold, `multi` every label that does. Below the threshold the product gets no tag for the
 * attribute: never a guess.
 */
import type { ActiveTagging, ProductTag, TaxonomyAttribute } from '@vsearch/contracts';
import { aggregateCosines, DEFAULT_IMAGE_AGGREGATION, type ImageAggregation } from './image-aggregation';
import { softmaxOfCosines } from './softmax';

/** A tagging whose label vectors do not fit its taxonomy; the message names the attribute and label. */
export class TaggingSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaggingSetupError';
  }
}

interface CompiledAttribute {
  name: string;
  mode: TaxonomyAttribute['mode'];
  threshold: number;
  labels: string[];
  /** labels.length rows of `dimension` values, each a unit label vector. */
  matrix: Float32Array;
}

export interface ZeroShotTaggerOptions {
  aggregation?: ImageAggregation;
}

export class ZeroShotTagger {
  readonly dimension: number;
  readonly taxonomyVersion: number;
  readonly modelId: string;
  readonly aggregation: ImageAggregation;
  private readonly attributes: CompiledAttribute[];
  private readonly logitScale: number;
  private readonly cosines: Float32Array;
  private readonly probabilities: Float32Array;
  private readonly meanScratch: Float32Array;

  constructor(tagging: ActiveTagging, options: ZeroShotTaggerOptions = {}) {
    if (!(tagging.logitScale > 0)) throw new TaggingSetupError(`logit scale must be positive, got ${tagging.logitScale}`);
    this.logitScale = tagging.logitScale;
    this.taxonomyVersion = tagging.taxonomy.version;
    this.modelId = tagging.modelId;
    this.aggregation = options.aggregation ?? DEFAULT_IMAGE_AGGREGATION;
    this.dimension = tagging.labelVectors[0]?.vector.length ?? 0;
    if (this.dimension === 0) throw new TaggingSetupError('the tagging has no label vectors');
    this.attributes = compileAttributes(tagging, this.dimension);
    const mostLabels = Math.max(...this.attributes.map((attribute) => attribute.labels.length));
    this.cosines = new Float32Array(mostLabels);
    this.probabilities = new Float32Array(mostLabels);
    this.meanScratch = new Float32Array(this.dimension);
  }

  /** The attributes in taxonomy order with their labels. */
  attributeNames(): string[] {
    return this.attributes.map((attribute) => attribute.name);
  }

  labelsOf(attribute: string): string[] {
    return [...this.attribute(attribute).labels];
  }

  /** The tags a product gets from its unit image vectors (none when it has no image). */
  tagImages(images: readonly Float32Array[]): ProductTag[] {
    if (images.length === 0) return [];
    this.checkDimensions(images);
    const tags: ProductTag[] = [];
    for (const attribute of this.attributes) {
      const probabilities = this.scoreInto(attribute, images);
      const count = attribute.labels.length;
      if (attribute.mode === 'single') {
        let best = 0;
        for (let i = 1; i < count; i++) if (probabilities[i] > probabilities[best]) best = i;
        if (probabilities[best] >= attribute.threshold) tags.push(this.tag(attribute, best, probabilities[best]));
      } else {
        for (let i = 0; i < count; i++) if (probabilities[i] >= attribute.threshold) tags.push(this.tag(attribute, i, probabilities[i]));
      }
    }
    return tags;
  }

  /** Every label's confidence for one attribute (a copy, in label order), for previews and evaluation. */
  confidences(attribute: string, images: readonly Float32Array[]): Float32Array {
    this.checkDimensions(images);
    const compiled = this.attribute(attribute);
    if (images.length === 0) return new Float32Array(compiled.labels.length);
    return this.scoreInto(compiled, images).slice(0, compiled.labels.length);
  }

  /** The confidence a label needs on `attribute`. */
  thresholdOf(attribute: string): number {
    return this.attribute(attribute).threshold;
  }

  private scoreInto(attribute: CompiledAttribute, images: readonly Float32Array[]): Float32Array {
    const count = attribute.labels.length;
    const cosines = this.cosines.subarray(0, count);
    aggregateCosines(images, attribute.matrix, count, this.dimension, this.aggregation, cosines, this.meanScratch);
    return softmaxOfCosines(cosines, this.logitScale, this.probabilities.subarray(0, count));
  }

  private tag(attribute: CompiledAttribute, index: number, confidence: number): ProductTag {
    return { attribute: attribute.name, label: attribute.labels[index], confidence: Math.round(confidence * 1e4) / 1e4, taxonomyVersion: this.taxonomyVersion };
  }

  private attribute(name: string): CompiledAttribute {
    const found = this.attributes.find((attribute) => attribute.name === name);
    if (!found) throw new TaggingSetupError(`the taxonomy has no attribute "${name}" (it has ${this.attributeNames().join(', ')})`);
    return found;
  }

  private checkDimensions(images: readonly Float32Array[]): void {
    for (const image of images) {
      if (image.length !== this.dimension) throw new RangeError(`an image vector has ${image.length} values; the label vectors have ${this.dimension}`);
    }
  }
}

/** One matrix per attribute; every label needs exactly one vector of the shared dimension, and no vector may name an unknown label. */
function compileAttributes(tagging: ActiveTagging, dimension: number): CompiledAttribute[] {
  const byKey = new Map<string, Float32Array>();
  for (const { attribute, label, vector } of tagging.labelVectors) {
    const key = `${attribute}\u0000${label}`;
    if (byKey.has(key)) throw new TaggingSetupError(`attribute "${attribute}" label "${label}" has two vectors`);
    if (vector.length !== dimension)
      throw new TaggingSetupError(`attribute "${attribute}" label "${label}" has a vector of ${vector.length} values, expected ${dimension}`);
    byKey.set(key, vector);
  }
  const compiled = tagging.taxonomy.attributes.map((attribute): CompiledAttribute => {
    const matrix = new Float32Array(attribute.labels.length * dimension);
    attribute.labels.forEach(({ label }, row) => {
      const key = `${attribute.name}\u0000${label}`;
      const vector = byKey.get(key);
      if (!vector) throw new TaggingSetupError(`attribute "${attribute.name}" label "${label}" has no vector`);
      byKey.delete(key);
      let squares = 0;
      for (let i = 0; i < dimension; i++) squares += vector[i] * vector[i];
      const norm = Math.sqrt(squares);
      if (!(norm > 0) || !Number.isFinite(norm)) throw new TaggingSetupError(`attribute "${attribute.name}" label "${label}" has a zero or non-finite vector`);
      for (let i = 0; i < dimension; i++) matrix[row * dimension + i] = vector[i] / norm;
    });
    return { name: attribute.name, mode: attribute.mode, threshold: attribute.threshold, labels: attribute.labels.map(({ label }) => label), matrix };
  });
  const extra = [...byKey.keys()][0];
  if (extra) {
    const [attribute, label] = extra.split('\u0000');
    throw new TaggingSetupError(`a vector names attribute "${attribute}" label "${label}", which the taxonomy does not have`);
  }
  return compiled;
}
