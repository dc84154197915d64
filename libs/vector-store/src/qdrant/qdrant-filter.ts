/** Translates the port's SearchFilter into Qdrant filter conditions over the payload fields every point carries. */
import type { Schemas } from '@qdrant/js-client-rest';
import type { SearchFilter } from '../types';

type Condition = Schemas['Condition'];
type Filter = Schemas['Filter'];

/** Payload keys (indexed at collection creation). */
export const PAYLOAD = Object.freeze({
  kind: 'kind',
  productId: 'productId',
  categories: 'categories',
  brand: 'brand',
  price: 'price',
  inStock: 'inStock',
  deleted: 'deleted',
  imageId: 'imageId',
  /** ISO 8601, when the catalog last changed the product (read back for sort=newest). */
  updatedAt: 'updatedAt',
  /** The product's distinct analyzed terms (image points): what keyword matching requires words in. */
  terms: 'terms',
  /** The product's zero-shot tags as `attribute=label` keywords, for tag filters. */
  tagKeys: 'tag_keys',
});

export const match = (key: string, value: string | boolean): Condition => ({ key, match: { value } });

export function filterConditions(filter: SearchFilter | undefined): Condition[] {
  const conditions: Condition[] = [];
  if (filter?.categories?.length) conditions.push({ key: PAYLOAD.categories, match: { any: [...filter.categories] } });
  if (filter?.brands?.length) conditions.push({ key: PAYLOAD.brand, match: { any: [...filter.brands] } });
  if (filter?.minPrice !== undefined || filter?.maxPrice !== undefined) {
    conditions.push({ key: PAYLOAD.price, range: { gte: filter.minPrice ?? null, lte: filter.maxPrice ?? null } });
  }
  if (filter?.inStock !== undefined) conditions.push(match(PAYLOAD.inStock, filter.inStock));
  // one condition per attribute (AND), its labels in one `any` (OR)
  for (const [attribute, labels] of Object.entries(filter?.tags ?? {})) {
    conditions.push({ key: PAYLOAD.tagKeys, match: { any: labels.map((label) => `${attribute}=${label}`) } });
  }
  return conditions;
}

/** Image points matching a search filter, optionally leaving one product out ("similar"). */
export function imageFilter(filter: SearchFilter | undefined, excludeProductId?: string): Filter {
  return {
    must: [match(PAYLOAD.kind, 'image'), ...filterConditions(filter)],
    ...(excludeProductId !== undefined ? { must_not: [match(PAYLOAD.productId, excludeProductId)] } : {}),
  };
}

/** Live product records matching a filter: what facets count (one per product, however many images it has). */
export function productRecordFilter(filter: SearchFilter | undefined): Filter {
  return { must: [match(PAYLOAD.kind, 'product'), match(PAYLOAD.deleted, false), ...filterConditions(filter)] };
}
