/** `GET /v1/search` query parameters. */
import { z } from 'zod';
import { filterShape, modeShape, pageShape, refinePriceRange, sortShape } from './filters.dto';

/**
 * Longer queries are refused (400). A pasted product description of 10 KB is accepted: the
 * lexical ranking reads its first 4,096 characters, the model its first few hundred.
 */
export const QUERY_MAX_CHARS = 12_000;

export const textSearchQuerySchema = z
  .strictObject({
    q: z.string({ error: 'q is required' }).trim().min(1, 'must not be empty').max(QUERY_MAX_CHARS, `must be at most ${QUERY_MAX_CHARS} characters`).meta({
      description:
        'what the shopper is looking for, as plain words: quotes, `-`, `*`, `:` and other punctuation are ordinary characters (no query syntax); stop words ("a", "the") and punctuation match no words',
      example: 'red leather ankle boots',
    }),
    ...modeShape,
    ...sortShape,
    ...filterShape,
    ...pageShape(24),
  })
  .superRefine(refinePriceRange);

export type TextSearchQuery = z.output<typeof textSearchQuerySchema>;
