/**
 * Ad-hoc zero-shot classification: candidate labels ranked for a product's images by the softmax
 * over the model's logit scale of their cosines (POST /v1/classify by product id).
 */
import type { LabelProbability } from '@vsearch/contracts';
import { DEFAULT_IMAGE_AGGREGATION, LabelMatrix, type ImageAggregation } from './image-aggregation';
import { normaliseInPlace } from './label-vectors';
import { softmaxInPlace } from './softmax';

export interface CandidateLabel {
  label: string;
  vector: Float32Array;
}

/** Labels ranked most probable first; `images` are unit vectors, candidate vectors are normalised here. */
export function classifyImages(
  images: readonly Float32Array[],
  candidates: readonly CandidateLabel[],
  logitScale: number,
  aggregation: ImageAggregation = DEFAULT_IMAGE_AGGREGATION,
): LabelProbability[] {
  if (images.length === 0) throw new RangeError('the product has no image vectors to classify');
  if (candidates.length < 2) throw new RangeError(`needs at least 2 candidate labels, got ${candidates.length}`);
  const dimension = images[0].length;
  const rows = candidates.map(({ label, vector }) => {
    if (vector.length !== dimension) throw new RangeError(`the vector of label "${label}" has ${vector.length} values; the images have ${dimension}`);
    return normaliseInPlace(Float32Array.from(vector), `the vector of label "${label}"`);
  });
  const matrix = new LabelMatrix(rows, dimension);
  const probabilities = softmaxInPlace(matrix.cosinesOf(images, aggregation, matrix.newRowBuffer()), logitScale, 0, candidates.length);
  return candidates.map(({ label }, index) => ({ label, probability: probabilities[index] })).sort((a, b) => b.probability - a.probability);
}
