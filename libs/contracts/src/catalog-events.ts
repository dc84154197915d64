/**
 * Catalog event contracts (topic `catalog.products.v1`): the schemas, their
 * TypeScript types and the parser that turns raw Kafka values into typed
 * events at the edge, so nothing past the edge sees raw JSON.
 */
import { z } from 'zod';

export const CATALOG_PRODUCTS_TOPIC = 'catalog.products.v1';
export const CATALOG_PRODUCTS_DLQ_TOPIC = 'catalog.products.v1.dlq';

/** Upper bound on one event's encoded size; larger values are refused before JSON parsing. */
export const MAX_EVENT_BYTES = 256 * 1024;

export const LIMITS = {
  idLength: 128,
  titleLength: 500,
  descriptionLength: 5000,
  brandLength: 200,
  categoryLength: 100,
  categoriesPerProduct: 20,
  imagesPerProduct: 20,
  urlLength: 2048,
  attributes: 50,
  attributeLength: 500,
} as const;

const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.idLength, `must be at most ${LIMITS.idLength} characters`)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits, ".", "_", ":" and "-"');

const version = z
  .number({ error: 'must be a number' })
  .int('must be an integer')
  .nonnegative('must not be negative')
  .max(Number.MAX_SAFE_INTEGER, 'must be a safe integer');

const occurredAt = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });

const httpUrl = z
  .string()
  .max(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

export const priceSchema = z.strictObject({
  amount: z.number({ error: 'must be a number' }).finite().nonnegative('must not be negative'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"'),
});

export const productImageSchema = z.strictObject({
  id: identifier,
  url: httpUrl,
});

export const productUpsertedSchema = z.strictObject({
  type: z.literal('product.upserted'),
  productId: identifier,
  version,
  title: z.string().trim().min(1, 'must not be empty').max(LIMITS.titleLength, `must be at most ${LIMITS.titleLength} characters`),
  description: z.string().max(LIMITS.descriptionLength, `must be at most ${LIMITS.descriptionLength} characters`).optional(),
  brand: z.string().max(LIMITS.brandLength, `must be at most ${LIMITS.brandLength} characters`).optional(),
  categories: z
    .array(z.string().min(1, 'must not be empty').max(LIMITS.categoryLength))
    .min(1, 'must list at least one category')
    .max(LIMITS.categoriesPerProduct),
  price: priceSchema,
  inStock: z.boolean({ error: 'must be a boolean' }),
  images: z
    .array(productImageSchema)
    .min(1, 'must list at least one image')
    .max(LIMITS.imagesPerProduct, `must list at most ${LIMITS.imagesPerProduct} images`)
    .refine((images) => new Set(images.map((image) => image.id)).size === images.length, 'image ids must be unique'),
  attributes: z
    .record(z.string().max(100), z.string().max(LIMITS.attributeLength))
    .refine((attributes) => Object.keys(attributes).length <= LIMITS.attributes, `must have at most ${LIMITS.attributes} entries`)
    .optional(),
  occurredAt,
});

export const productDeletedSchema = z.strictObject({
  type: z.literal('product.deleted'),
  productId: identifier,
  version,
  occurredAt,
});

export const catalogEventSchema = z.discriminatedUnion('type', [productUpsertedSchema, productDeletedSchema]);

export type Price = z.infer<typeof priceSchema>;
export type ProductImage = z.infer<typeof productImageSchema>;
export type ProductUpserted = z.infer<typeof productUpsertedSchema>;
export type ProductDeleted = z.infer<typeof productDeletedSchema>;
export type CatalogEvent = z.infer<typeof catalogEventSchema>;
export type CatalogEventType = CatalogEvent['type'];
