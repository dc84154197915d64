/**
 * Conversions between visualsearch.search.v1 messages and the vector-store
 * port's types. Vectors arrive as little-endian float32 bytes; a byte length
 * that is not a multiple of 4 is refused here, the dimension by the store.
 *
 * Unknown filter fields: protobuf drops fields a message does not declare, so
 * a filter field this service does not know never reaches it (the query API
 * validates its query-string names and answers 400 for unknown ones).
 */
import { invalidArgument, unpackFloat32LE } from '@vsearch/grpc-kit';
import { searchV1 } from '@vsearch/proto';
import type { CollectionInfo, FailedImage, ProductData, SearchFacets, SearchFilter, SearchHit, StoredProduct, WriteOutcome } from '@vsearch/vector-store';

const OUTCOMES: Record<WriteOutcome, searchV1.WriteOutcome> = {
  applied: searchV1.WriteOutcome.WRITE_OUTCOME_APPLIED,
  stale: searchV1.WriteOutcome.WRITE_OUTCOME_STALE,
  not_found: searchV1.WriteOutcome.WRITE_OUTCOME_NOT_FOUND,
};

export function unpackVector(bytes: Uint8Array | undefined, what: string): Float32Array {
  if (!bytes || bytes.length === 0) throw invalidArgument(`${what} is empty`);
  if (bytes.length % 4 !== 0) throw invalidArgument(`${what} has ${bytes.length} bytes; little-endian float32 values take 4 bytes each`);
  return unpackFloat32LE(bytes);
}

export function toProduct(message: searchV1.Product | undefined, position: number): ProductData {
  if (!message) throw invalidArgument(`product ${position} is missing its product data`);
  return {
    productId: message.productId,
    version: Number(message.version),
    title: message.title,
    description: message.description,
    brand: message.brand,
    categories: [...message.categories],
    price: { amount: message.price?.amount ?? 0, currency: message.price?.currency ?? '' },
    inStock: message.inStock,
    attributes: { ...message.attributes },
  };
}

export function toFailedImages(message: searchV1.FailedImages | undefined): FailedImage[] {
  return (message?.images ?? []).map(copyFailedImage);
}

export function toFilter(message: searchV1.Filter | undefined): SearchFilter | undefined {
  if (!message) return undefined;
  return {
    categories: message.categories.length > 0 ? [...message.categories] : undefined,
    brands: message.brands.length > 0 ? [...message.brands] : undefined,
    minPrice: message.minPrice,
    maxPrice: message.maxPrice,
    inStock: message.inStock,
  };
}

export function toOutcome(outcome: WriteOutcome): searchV1.WriteOutcome {
  return OUTCOMES[outcome];
}

export function fromProduct(product: ProductData): searchV1.Product {
  return {
    productId: product.productId,
    version: product.version,
    title: product.title,
    description: product.description,
    brand: product.brand,
    categories: [...product.categories],
    price: { amount: product.price.amount, currency: product.price.currency },
    inStock: product.inStock,
    attributes: { ...product.attributes },
  };
}

export function fromHit(hit: SearchHit): searchV1.Hit {
  return { product: fromProduct(hit.product), score: hit.score, matchedImageId: hit.matchedImageId, matchedImageUrl: hit.matchedImageUrl };
}

export function fromFacets(facets: SearchFacets | undefined): searchV1.Facets | undefined {
  return facets && { categories: facets.categories.map((facet) => ({ ...facet })), brands: facets.brands.map((facet) => ({ ...facet })) };
}

export function fromStoredProduct(stored: StoredProduct | undefined): searchV1.GetProductResponse {
  if (!stored) return { product: undefined, images: [], failedImages: [] };
  return {
    product: fromProduct(stored.product),
    images: stored.images.map(({ imageId, imageUrl }) => ({ imageId, imageUrl })),
    failedImages: stored.failedImages.map(copyFailedImage),
  };
}

/** searchV1.FailedImage and the store's FailedImage have the same fields: one copy serves both directions. */
function copyFailedImage({ imageId, imageUrl, stage, errorCode, reason }: FailedImage): FailedImage {
  return { imageId, imageUrl, stage, errorCode, reason };
}

export function fromCollection(info: CollectionInfo): searchV1.CollectionInfo {
  return { name: info.name, modelId: info.modelId, dimension: info.dimension, productCount: info.productCount, pointCount: info.pointCount, aliases: [...info.aliases] };
}
