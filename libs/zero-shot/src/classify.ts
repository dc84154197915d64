/**
 * Ad-hoc zero-shot classification: candidate labels ranked for a product's images by the softmax
 * over the model's logit scale of their cosines (POST /v1/classify by product id).
 */
import type { LabelProbability } from '@vsearch/contracts';
import { aggregateCosines, DEFAULT_IMAGE_AGGREGATION, type ImageAggregation } from './image-aggregation';
import { normaliseInPlace } from './label-vectors';
import { softmaxOfCosines } from './softmax';

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
  const matrix = new Float32Array(candidates.length * dimension);
  candidates.forEach(({ label, vector }, row) => {
    if (vector.length !== dimension) throw new RangeError(`the vector of label "${label}" has ${vector.length} values; the images have ${dimension}`);
    matrix.set(normaliseInPlace(Float32Array.from(vector), `the vector of label "${label}"`), row * dimension);
  });
  const cosines = aggregateCosines(images, matrix, candidates.length, dimension, aggregation, new Float32Array(candidates.length), new Float32Array(dimension));
  const probabilities = softmaxOfCosines(cosines, logitScale);
  return candidates.map(({ label }, index) => ({ label, probability: probabilities[index] })).sort((a, b) => b.probability - a.probability);
}
