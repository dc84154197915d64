/** `GET /v1/search` query parameters. */
import { z } from 'zod';
import { filterShape, pageShape, refinePriceRange } from './filters.dto';

/** The service refuses longer queries before they reach the embedder (config MAX_QUERY_CHARS bounds it further). */
export const QUERY_HARD_MAX_CHARS = 1000;

export const textSearchQuerySchema = z
  .strictObject({
    q: z
      .string({ error: 'q is required' })
      .trim()
      .min(1, 'must not be empty')
      .max(QUERY_HARD_MAX_CHARS, `must be at most ${QUERY_HARD_MAX_CHARS} characters`)
      .meta({ description: 'what the shopper is looking for', example: 'red leather ankle boots' }),
    ...filterShape,
    ...pageShape(24),
  })
  .superRefine(refinePriceRange);

export type TextSearchQuery = z.output<typeof textSearchQuerySchema>;
