/** `GET /v1/products/{id}`: the stored product as JSON. */
import { z } from 'zod';
import type { StoredProduct } from '@vsearch/contracts';
import { roundConfidence } from './search-response.mapper';
import { productTagsSchema } from './tagging.dto';

export const productDetailSchema = z.object({
  productId: z.string(),
  version: z.number().int(),
  title: z.string(),
  description: z.string(),
  brand: z.string(),
  categories: z.array(z.string()),
  price: z.object({ amount: z.number(), currency: z.string() }),
  inStock: z.boolean(),
  attributes: z.record(z.string(), z.string()),
  updatedAt: z.string().optional(),
  images: z
    .array(
      z.object({
        imageId: z.string(),
        imageUrl: z.string(),
        description: z.string().optional().meta({ description: 'generated description (alt text); absent when none was generated' }),
      }),
    )
    .meta({ description: 'the indexed images' }),
  failedImages: z
    .array(z.object({ imageId: z.string(), imageUrl: z.string(), stage: z.string(), errorCode: z.string(), reason: z.string() }))
    .meta({ description: 'images that could not be indexed (fetch, decode or embed), as the last write recorded them' }),
  tags: productTagsSchema.meta({ description: 'zero-shot tags of the active taxonomy; empty when none applies or none was applied' }),
});
export type ProductDetail = z.infer<typeof productDetailSchema>;

export function toProductDetailJson({ product, images, failedImages, tags }: StoredProduct): ProductDetail {
  return {
    productId: product.productId,
    version: product.version,
    title: product.title,
    description: product.description,
    brand: product.brand,
    categories: product.categories,
    price: { amount: product.price.amount, currency: product.price.currency },
    inStock: product.inStock,
    attributes: product.attributes,
    ...(product.updatedAt ? { updatedAt: product.updatedAt } : {}),
    images: images.map(({ imageId, imageUrl, description }) => ({ imageId, imageUrl, ...(description ? { description } : {}) })),
    failedImages: failedImages.map(({ imageId, imageUrl, stage, errorCode, reason }) => ({ imageId, imageUrl, stage, errorCode, reason })),
    tags: (tags ?? []).map((tag) => ({ ...tag, confidence: roundConfidence(tag.confidence) })),
  };
}
