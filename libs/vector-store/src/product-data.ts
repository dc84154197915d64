/** Canonical copies of caller-supplied product data, so stores keep no references to request objects. */
import type { FailedImage, ImageRef, ProductData, SearchHit } from './types';

export function canonicalProduct(product: ProductData): ProductData {
  return {
    productId: product.productId,
    version: product.version,
    title: product.title ?? '',
    description: product.description ?? '',
    brand: product.brand ?? '',
    categories: [...(product.categories ?? [])],
    price: { amount: product.price?.amount ?? 0, currency: product.price?.currency ?? '' },
    inStock: Boolean(product.inStock),
    attributes: { ...(product.attributes ?? {}) },
    ...(product.updatedAt ? { updatedAt: product.updatedAt } : {}),
  };
}

/**
 * An image reference as stored: its content (hash and the host's validators) only when known, each
 * validator only when given, and its description only when it has one (never an empty string).
 */
export function canonicalImageRef({ imageId, imageUrl, content, description }: ImageRef): ImageRef {
  const ref: ImageRef = { imageId, imageUrl: imageUrl ?? '' };
  if (content?.sha256) {
    ref.content = {
      sha256: content.sha256,
      ...(content.etag ? { etag: content.etag } : {}),
      ...(content.lastModified ? { lastModified: content.lastModified } : {}),
    };
  }
  if (description) ref.description = description;
  return ref;
}

/** A hit's fields naming the image that matched. */
export function matchedImageFields(image: ImageRef): Pick<SearchHit, 'matchedImageId' | 'matchedImageUrl' | 'matchedImageDescription'> {
  return {
    matchedImageId: image.imageId,
    matchedImageUrl: image.imageUrl,
    ...(image.description ? { matchedImageDescription: image.description } : {}),
  };
}

/** Failed-image records as stored: every field a string, unset meaning none. */
export function canonicalFailedImages(failedImages: readonly FailedImage[] | undefined): FailedImage[] {
  return (failedImages ?? []).map(({ imageId, imageUrl, stage, errorCode, reason }) => ({
    imageId,
    imageUrl: imageUrl ?? '',
    stage: stage ?? '',
    errorCode: errorCode ?? '',
    reason: reason ?? '',
  }));
}
