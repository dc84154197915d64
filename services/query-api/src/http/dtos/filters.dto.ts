/**
 * Filter query parameters shared by every search route. Repeatable parameters
 * (`category`, `brand`) accept `?category=a&category=b` and `?category=a,b`.
 * Query strings are strings: numbers and booleans are parsed strictly, so a
 * typo is a 400 rather than a silently ignored filter.
 */
import { z } from 'zod';
import { SEARCH_MODES, SEARCH_SORTS, type SearchFilter, type SearchSort, type TagFilter } from '@vsearch/contracts';
import type { PageRequest } from '../../services/product-search.service';

const MAX_VALUES = 20;

const repeatable = (what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((item) => item.split(','))
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(100, `each ${what} must be at most 100 characters`)).max(MAX_VALUES, `at most ${MAX_VALUES} ${what} values`))
    .optional()
    .meta({ description: `${what}; repeat the parameter or separate values with commas (any of them matches)` });

const price = (description: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,9}(\.\d{1,4})?$/, 'must be a non-negative number such as 19.99')
    .transform(Number)
    .optional()
    .meta({ description });

const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1')
  .optional()
  .meta({ description: 'only products in stock (true) or out of stock (false)' });

export const pageShape = (defaultLimit: number) => ({
  limit: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(defaultLimit)
    .meta({ description: 'products per page' }),
  offset: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(1000, 'must be at most 1000')
    .default(0)
    .meta({ description: 'products to skip (paging)' }),
});

/** One of `values`, or a 400 naming the value given and the ones allowed. */
const oneOf = <T extends string>(values: readonly T[], fallback: T, description: string) =>
  z
    .enum(values, { error: (issue) => `must be one of ${values.join(', ')}; got ${JSON.stringify(issue.input)}` })
    .default(fallback)
    .meta({ description });

export const sortShape = {
  sort: oneOf(
    SEARCH_SORTS,
    'relevance',
    'result order: `relevance` (the ranking score), `price_asc`, `price_desc`, or `newest` (most recently changed in the catalog first)',
  ),
};

export const modeShape = {
  mode: oneOf(
    SEARCH_MODES,
    'hybrid',
    "how the words are matched: `hybrid` fuses the keyword (BM25) and vector (CLIP) rankings by reciprocal rank; `vector` ranks by CLIP similarity alone; `keyword` by the product's words alone (the embedder is not called)",
  ),
};

export const filterShape = {
  category: repeatable('category'),
  brand: repeatable('brand'),
  minPrice: price('lowest price, inclusive'),
  maxPrice: price('highest price, inclusive'),
  inStock: flag,
};

/** `minPrice > maxPrice` is a client mistake, not an empty result. */
export function refinePriceRange(value: { minPrice?: number; maxPrice?: number }, context: z.RefinementCtx): void {
  if (value.minPrice !== undefined && value.maxPrice !== undefined && value.minPrice > value.maxPrice) {
    context.addIssue({ code: 'custom', path: ['minPrice'], message: `minPrice (${value.minPrice}) is greater than maxPrice (${value.maxPrice})` });
  }
}

/** The filter parameters as every search route's query parses them. */
export interface ParsedFilters {
  category?: string[];
  brand?: string[];
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  /** `tag.<attribute>` parameters (tag-filter.dto.ts). */
  tags?: TagFilter;
}

/** What a search route's query adds to its strict schema's output: the `tag.<attribute>` filters. */
export type TagFilterParams = Pick<ParsedFilters, 'tags'>;

export function toProductFilter(value: ParsedFilters): SearchFilter {
  return {
    categories: value.category ?? [],
    brands: value.brand ?? [],
    minPrice: value.minPrice,
    maxPrice: value.maxPrice,
    inStock: value.inStock,
    ...(value.tags ? { tags: value.tags } : {}),
  };
}

/** The filters, paging and order of any search route's query, as the search logic takes them (relevance where the route has no `sort`). */
export function toPageRequest(value: ParsedFilters & { limit: number; offset: number; sort?: SearchSort }): PageRequest {
  return { filter: toProductFilter(value), limit: value.limit, offset: value.offset, sort: value.sort ?? 'relevance' };
}
