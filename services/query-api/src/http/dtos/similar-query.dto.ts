/** `GET /v1/products/{id}/similar`: the product id and the same filters and paging. */
import { z } from 'zod';
import { filterShape, pageShape, refinePriceRange } from './filters.dto';

export const productIdSchema = z
  .string()
  .min(1)
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be letters, digits, ".", "_", ":" or "-"');

export const similarQuerySchema = z.strictObject({ ...filterShape, ...pageShape(12) }).superRefine(refinePriceRange);
export type SimilarQuery = z.output<typeof similarQuerySchema>;
