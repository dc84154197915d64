/**
 * Response shapes, as zod schemas: the OpenAPI document is generated from
 * them and the tests check real responses against them.
 */
import { z } from 'zod';

const facetCount = z.object({ value: z.string(), count: z.number().int().nonnegative() });

export const searchResultSchema = z.object({
  productId: z.string(),
  score: z.number().meta({ description: 'cosine similarity of the best-matching image, -1 to 1' }),
  title: z.string(),
  imageUrl: z.string().meta({ description: 'URL of the image that matched' }),
  matchedImageId: z.string(),
  price: z.object({ amount: z.number(), currency: z.string() }),
  categories: z.array(z.string()),
  brand: z.string(),
  inStock: z.boolean(),
});

export const searchResponseSchema = z.object({
  results: z.array(searchResultSchema),
  facets: z.object({ categories: z.array(facetCount), brands: z.array(facetCount) }).meta({
    description: 'category and brand counts over the products matching the query and filters',
  }),
  tookMs: z.number().nonnegative(),
  model: z.string().meta({ description: 'model id (name@version) of the vectors that answered' }),
});
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const reindexAcceptedSchema = z.object({ jobId: z.string() });

export const reindexJobSchema = z.object({
  jobId: z.string(),
  state: z.enum(['queued', 'running', 'swapping', 'done', 'failed']),
  total: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
  collection: z.string(),
  previousCollection: z.string().optional(),
  error: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'machine-readable reason, e.g. invalid_parameter, unknown_parameter, payload_too_large' }),
    message: z.string(),
    requestId: z.string().optional(),
  }),
});

export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  dependencies: z.record(z.string(), z.enum(['up', 'down'])),
  missing: z.array(z.string()),
});
