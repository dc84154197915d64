/**
 * Input checks shared by every adapter, so a bad request gets the same clear
 * error whichever store answers, and nothing malformed reaches storage.
 */
import { VectorStoreError } from './errors';
import { SEARCH_LIMITS, type FailedImage, type ProductData, type ProductWithImageVectors, type SearchFilter } from './types';

const invalid = (message: string) => VectorStoreError.invalidArgument(message);

/**
 * Checks a vector against the collection's dimension and returns a unit-length
 * copy (scores are cosine similarities, stored as dot products of unit vectors).
 */
export function normalizedVector(vector: Float32Array, dimension: number, what: string, collection: string): Float32Array {
  if (!(vector instanceof Float32Array)) throw invalid(`${what} must be float32 values`);
  if (vector.length !== dimension) {
    throw invalid(`${what} has ${vector.length} dimensions; collection ${collection} holds ${dimension}-dimensional vectors`);
  }
  let sumOfSquares = 0;
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i];
    if (!Number.isFinite(value)) throw invalid(`${what} holds a non-finite value (${value}) at index ${i}`);
    sumOfSquares += value * value;
  }
  if (sumOfSquares === 0) throw invalid(`${what} is all zeros; cosine similarity is undefined for it`);
  const scale = 1 / Math.sqrt(sumOfSquares);
  const unit = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) unit[i] = vector[i] * scale;
  return unit;
}

/**
 * Refuses a request whose vectors came from another model than the collection's (DESIGN.md
 * principle 5): cosine scores across two models' spaces are meaningless even when the dimensions
 * match, so the dimension check alone cannot catch it. Checked against the collection the call
 * resolved, so an alias swap between a caller's look-up and its call cannot slip past it. A request
 * naming no model is not checked here; the gRPC handler requires the name on the wire.
 */
export function assertCollectionModel(requestedModelId: string | undefined, collectionModelId: string, collection: string): void {
  if (requestedModelId === undefined || requestedModelId === collectionModelId) return;
  throw VectorStoreError.modelMismatch(`collection ${collection} holds vectors of model ${collectionModelId}; the request names model ${requestedModelId}`);
}

export function assertValidPage(limit: number, offset: number | undefined): void {
  if (!Number.isInteger(limit) || limit < SEARCH_LIMITS.minLimit || limit > SEARCH_LIMITS.maxLimit) {
    throw invalid(`limit must be an integer from ${SEARCH_LIMITS.minLimit} to ${SEARCH_LIMITS.maxLimit}, got ${limit}`);
  }
  const skip = offset ?? 0;
  if (!Number.isInteger(skip) || skip < 0 || skip > SEARCH_LIMITS.maxOffset) {
    throw invalid(`offset must be an integer from 0 to ${SEARCH_LIMITS.maxOffset}, got ${skip}`);
  }
}

export function assertValidScoreThreshold(threshold: number | undefined): void {
  if (threshold !== undefined && !Number.isFinite(threshold)) throw invalid(`score threshold must be a finite number, got ${threshold}`);
}

export function assertValidFilter(filter: SearchFilter | undefined): void {
  if (!filter) return;
  for (const [name, value] of [
    ['minPrice', filter.minPrice],
    ['maxPrice', filter.maxPrice],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value)) throw invalid(`filter ${name} must be a finite number, got ${value}`);
  }
  if (filter.minPrice !== undefined && filter.maxPrice !== undefined && filter.minPrice > filter.maxPrice) {
    throw invalid(`filter minPrice (${filter.minPrice}) is greater than maxPrice (${filter.maxPrice})`);
  }
  for (const [name, values] of [
    ['categories', filter.categories],
    ['brands', filter.brands],
  ] as const) {
    if (values !== undefined && (!Array.isArray(values) || values.some((value) => typeof value !== 'string'))) {
      throw invalid(`filter ${name} must be a list of strings`);
    }
  }
  for (const [attribute, labels] of Object.entries(filter.tags ?? {})) {
    if (!Array.isArray(labels) || labels.length === 0 || labels.some((label) => typeof label !== 'string' || label.length === 0)) {
      throw invalid(`filter tag.${attribute} must be a list of one or more labels`);
    }
  }
}

export function assertValidProductId(productId: string): void {
  if (typeof productId !== 'string' || productId.length === 0 || productId.length > 256) {
    throw invalid(`product id must be 1-256 characters, got ${JSON.stringify(productId)}`);
  }
}

export function assertValidVersion(version: number, productId: string): void {
  if (!Number.isSafeInteger(version) || version < 0) throw invalid(`product ${productId}: version must be a non-negative integer, got ${version}`);
}

export function assertValidProduct(product: ProductData): void {
  assertValidProductId(product.productId);
  assertValidVersion(product.version, product.productId);
  if (!Number.isFinite(product.price?.amount)) throw invalid(`product ${product.productId}: price amount must be a finite number`);
  if (!Array.isArray(product.categories) || product.categories.some((category) => typeof category !== 'string' || category === '')) {
    throw invalid(`product ${product.productId}: categories must be non-empty strings`);
  }
}

/** Checks a batch to upsert and returns unit-length copies of its vectors, image by image. */
export function validatedUpsertBatch(batch: ProductWithImageVectors[], dimension: number, collection: string): Float32Array[][] {
  const seen = new Set<string>();
  return batch.map(({ product, images, failedImages }) => {
    assertValidProduct(product);
    if (seen.has(product.productId)) throw invalid(`product ${product.productId} appears twice in one upsert`);
    seen.add(product.productId);
    if (!Array.isArray(images) || images.length === 0) throw invalid(`product ${product.productId} has no images; at least one is required`);
    const imageIds = new Set<string>();
    const vectors = images.map((image) => {
      if (!image.imageId) throw invalid(`product ${product.productId} has an image without an id`);
      if (imageIds.has(image.imageId)) throw invalid(`product ${product.productId} lists image ${image.imageId} twice`);
      imageIds.add(image.imageId);
      return normalizedVector(image.vector, dimension, `vector of image ${image.imageId} of product ${product.productId}`, collection);
    });
    assertValidFailedImages(product.productId, failedImages, imageIds);
    return vectors;
  });
}

/** A failed image names an image of the product once, and never one that was indexed (it cannot be both). */
function assertValidFailedImages(productId: string, failedImages: readonly FailedImage[] | undefined, imageIds: ReadonlySet<string>): void {
  if (failedImages === undefined) return;
  if (!Array.isArray(failedImages)) throw invalid(`product ${productId}: failed images must be a list`);
  const failedIds = new Set<string>();
  for (const failed of failedImages) {
    if (!failed?.imageId) throw invalid(`product ${productId} has a failed image without an id`);
    if (imageIds.has(failed.imageId)) throw invalid(`product ${productId} lists image ${failed.imageId} both as indexed and as failed`);
    if (failedIds.has(failed.imageId)) throw invalid(`product ${productId} lists failed image ${failed.imageId} twice`);
    failedIds.add(failed.imageId);
  }
}

export function assertValidGeneration(modelId: string, dimension: number): void {
  if (typeof modelId !== 'string' || modelId.trim() === '') throw invalid('model id must not be empty');
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 65_536) throw invalid(`dimension must be an integer from 1 to 65536, got ${dimension}`);
}
