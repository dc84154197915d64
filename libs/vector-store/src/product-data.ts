/** Canonical copies of caller-supplied product data, so stores keep no references to request objects. */
import type { FailedImage, ProductData } from './types';

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
