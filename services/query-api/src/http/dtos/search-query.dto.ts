/** `GET /v1/search` query parameters. */
import { z } from 'zod';
import { filterShape, pageShape, refinePriceRange } from './filters.dto';

/** Longer queries are refused before they reach the embedder (the model reads 16 tokens anyway). */
export const QUERY_MAX_CHARS = 256;

export const textSearchQuerySchema = z
  .strictObject({
    q: z
      .string({ error: 'q is required' })
      .trim()
      .min(1, 'must not be empty')
      .max(QUERY_MAX_CHARS, `must be at most ${QUERY_MAX_CHARS} characters`)
      .meta({ description: 'what the shopper is looking for', example: 'red leather ankle boots' }),
    ...filterShape,
    ...pageShape(24),
  })
  .superRefine(refinePriceRange);

export type TextSearchQuery = z.output<typeof textSearchQuerySchema>;
