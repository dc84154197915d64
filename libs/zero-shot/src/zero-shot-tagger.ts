/**
 * Tags products from their stored image vectors with one active tagging (taxonomy + label vectors).
 * Built once per tagging: every attribute's label vectors go into one LabelMatrix (taxonomy order),
 * so tagging a product is one pass of a tight matrix-vector loop over all labels, with buffers
 * reused across products (re-tagging a whole catalog from stored vectors runs at tens of thousands
 * of products per second on one core, docs/benchmarks.md "Zero-shot tagging").
 *
 * Per attribute: cosines of the product (see image-aggregation.ts) with every label, softmax over the
 * attribute's labels of logitScale × cosine, then `single` keeps the best label if it reaches the
 * threshold, `multi` every label that does. Below the threshold the product gets no tag for the
 * attribute: never a guess.
 */
import type { ActiveTagging, ProductTag, TaxonomyAttribute } from '@vsearch/contracts';
import { DEFAULT_IMAGE_AGGREGATION, LabelMatrix, type ImageAggregation } from './image-aggregation';
import { softmaxInPlace } from './softmax';

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
  /** Row of the attribute's first label in the tagger's LabelMatrix (its labels' rows follow in order). */
  firstRow: number;
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
  private readonly matrix: LabelMatrix;
  /** Every label's cosine, then (softmax per attribute, in place) its confidence, for the product being tagged. */
  private readonly scores: Float64Array;

  constructor(tagging: ActiveTagging, options: ZeroShotTaggerOptions = {}) {
    if (!(tagging.logitScale > 0)) throw new TaggingSetupError(`logit scale must be positive, got ${tagging.logitScale}`);
    this.logitScale = tagging.logitScale;
    this.taxonomyVersion = tagging.taxonomy.version;
    this.modelId = tagging.modelId;
    this.aggregation = options.aggregation ?? DEFAULT_IMAGE_AGGREGATION;
    this.dimension = tagging.labelVectors[0]?.vector.length ?? 0;
    if (this.dimension === 0) throw new TaggingSetupError('the tagging has no label vectors');
    const { attributes, rows } = compileAttributes(tagging, this.dimension);
    this.attributes = attributes;
    this.matrix = new LabelMatrix(rows, this.dimension);
    this.scores = this.matrix.newRowBuffer();
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
    const confidences = this.scoreAll(images);
    const tags: ProductTag[] = [];
    for (const attribute of this.attributes) {
      const first = attribute.firstRow;
      const end = first + attribute.labels.length;
      if (attribute.mode === 'single') {
        let best = first;
        for (let row = first + 1; row < end; row++) if (confidences[row] > confidences[best]) best = row;
        if (confidences[best] >= attribute.threshold) tags.push(this.tag(attribute, best - first, confidences[best]));
      } else {
        for (let row = first; row < end; row++) if (confidences[row] >= attribute.threshold) tags.push(this.tag(attribute, row - first, confidences[row]));
      }
    }
    return tags;
  }

  /** Every label's confidence for one attribute (a copy, in label order), for previews and evaluation. */
  confidences(attribute: string, images: readonly Float32Array[]): Float32Array {
    this.checkDimensions(images);
    const compiled = this.attribute(attribute);
    if (images.length === 0) return new Float32Array(compiled.labels.length);
    return Float32Array.from(this.scoreAll(images).subarray(compiled.firstRow, compiled.firstRow + compiled.labels.length));
  }

  /** The confidence a label needs on `attribute`. */
  thresholdOf(attribute: string): number {
    return this.attribute(attribute).threshold;
  }

  /** Every label's confidence for the product (per attribute, starting at its firstRow): the shared buffer, valid until the next call. */
  private scoreAll(images: readonly Float32Array[]): Float64Array {
    const scores = this.matrix.cosinesOf(images, this.aggregation, this.scores);
    for (const attribute of this.attributes) softmaxInPlace(scores, this.logitScale, attribute.firstRow, attribute.firstRow + attribute.labels.length);
    return scores;
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

/**
 * The attributes with their rows, and the unit label vectors in taxonomy order (the LabelMatrix rows);
 * every label needs exactly one vector of the shared dimension, and no vector may name an unknown label.
 */
function compileAttributes(tagging: ActiveTagging, dimension: number): { attributes: CompiledAttribute[]; rows: Float64Array[] } {
  const byKey = new Map<string, Float32Array>();
  for (const { attribute, label, vector } of tagging.labelVectors) {
    const key = `${attribute}\u0000${label}`;
    if (byKey.has(key)) throw new TaggingSetupError(`attribute "${attribute}" label "${label}" has two vectors`);
    if (vector.length !== dimension)
      throw new TaggingSetupError(`attribute "${attribute}" label "${label}" has a vector of ${vector.length} values, expected ${dimension}`);
    byKey.set(key, vector);
  }
  const rows: Float64Array[] = [];
  const attributes = tagging.taxonomy.attributes.map((attribute): CompiledAttribute => {
    const firstRow = rows.length;
    for (const { label } of attribute.labels) {
      const key = `${attribute.name}\u0000${label}`;
      const vector = byKey.get(key);
      if (!vector) throw new TaggingSetupError(`attribute "${attribute.name}" label "${label}" has no vector`);
      byKey.delete(key);
      let squares = 0;
      for (let i = 0; i < dimension; i++) squares += vector[i] * vector[i];
      const norm = Math.sqrt(squares);
      if (!(norm > 0) || !Number.isFinite(norm)) throw new TaggingSetupError(`attribute "${attribute.name}" label "${label}" has a zero or non-finite vector`);
      rows.push(Float64Array.from(vector, (value) => value / norm));
    }
    return { name: attribute.name, mode: attribute.mode, threshold: attribute.threshold, labels: attribute.labels.map(({ label }) => label), firstRow };
  });
  const extra = [...byKey.keys()][0];
  if (extra) {
    const [attribute, label] = extra.split('\u0000');
    throw new TaggingSetupError(`a vector names attribute "${attribute}" label "${label}", which the taxonomy does not have`);
  }
  return { attributes, rows };
}
