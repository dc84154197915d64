/** Canonical copies of caller-supplied product data, so stores keep no references to request objects. */
import type { ProductData } from './types';

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
  };
}
