/**
 * Response shapes, as zod schemas: the OpenAPI document is generated from
 * them and the tests check real responses against them.
 */
import { z } from 'zod';
import { MATCH_COUNT_CAP, PRICE_BANDS, REINDEX_JOB_STATES, SEARCH_MODES } from '@vsearch/contracts';
import { gateReportSchema } from './generations.dto';

const facetCount = z.object({ value: z.string(), count: z.number().int().nonnegative() });

const PRICE_BAND_NAMES = PRICE_BANDS.map((band) => band.value).join(', ');

export const searchResultSchema = z.object({
  productId: z.string(),
  score: z.number().meta({
    description:
      'the ranking score of the response\'s `mode`, best first under `sort=relevance`: `vector` (and photo search, "more like this"): cosine similarity of the best-matching image, -1 to 1; ' +
      "`keyword`: BM25 score of the product's words (0 up, unbounded); `hybrid`: reciprocal-rank fusion, the sum over both rankings of `weight / (k + rank)` (about 0.03 at most with the defaults). " +
      'Scores of different modes or queries are not comparable',
  }),
  vectorScore: z
    .number()
    .optional()
    .meta({ description: 'cosine similarity of the best-matching image, when the vector ranking saw the product (hybrid and vector)' }),
  keywordScore: z.number().optional().meta({ description: "BM25 score of the product's words, when they matched the query (hybrid and keyword)" }),
  title: z.string(),
  imageUrl: z.string().meta({ description: 'URL of the image that matched' }),
  matchedImageId: z.string(),
  imageDescription: z
    .string()
    .optional()
    .meta({ description: "the matched image's generated description (alt text); absent when none was generated (the page falls back to the title)" }),
  price: z.object({ amount: z.number(), currency: z.string() }),
  categories: z.array(z.string()),
  brand: z.string(),
  inStock: z.boolean(),
  tags: z
    .array(z.object({ attribute: z.string(), label: z.string(), confidence: z.number() }))
    .optional()
    .meta({ description: "the product's zero-shot tags (attribute, label, confidence 0 to 1); absent when it has none" }),
});

export const searchResponseSchema = z.object({
  results: z.array(searchResultSchema),
  total: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta({
      description: `products the query matched with the filters applied (the same set the facets count), exact up to ${MATCH_COUNT_CAP}; past it \`total\` is ${MATCH_COUNT_CAP} and \`totalIsLowerBound\` is true. Absent for "more like this", which does not count`,
    }),
  totalIsLowerBound: z
    .boolean()
    .optional()
    .meta({ description: `true when more than ${MATCH_COUNT_CAP} products matched (show "${MATCH_COUNT_CAP}+")` }),
  mode: z
    .enum(SEARCH_MODES)
    .meta({ description: 'the ranking that produced `score`: the text query\'s `mode`; `vector` for photo search and "more like this"' }),
  facets: z
    .object({
      categories: z.array(facetCount),
      brands: z.array(facetCount),
      priceBands: z.array(facetCount).meta({ description: `price bands ${PRICE_BAND_NAMES} (lower bound inclusive, upper exclusive), in that order` }),
      stock: z.array(facetCount).meta({ description: '`in_stock` and `out_of_stock`' }),
      tags: z
        .record(z.string(), z.array(facetCount))
        .optional()
        .meta({ description: 'zero-shot tag labels per attribute (filter with `tag.<attribute>=<label>`); absent when no matched product is tagged' }),
    })
    .meta({
      description:
        'counts over the products the query matched (the fused candidates with the score cut-off and the filters applied; the set `total` counts), most frequent first; empty when nothing matched. Empty for "more like this"',
    }),
  tookMs: z.number().nonnegative(),
  model: z.string().meta({ description: 'model id (name@version) of the vectors that answered' }),
});
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const reindexAcceptedSchema = z.object({ jobId: z.string() });

export const reindexJobSchema = z.object({
  jobId: z.string(),
  state: z.enum(REINDEX_JOB_STATES).meta({
    description:
      'queued (waiting for an ingestion replica; also after the replica running it stopped), running, catching-up (a rollback bringing its target generation up to date from the catalog log), gating, swapping, done or failed',
  }),
  kind: z.enum(['rebuild', 'refresh', 'rollback']).optional(),
  total: z.number().int().nonnegative().meta({ description: 'catalog events to replay' }),
  done: z.number().int().nonnegative().meta({ description: 'catalog events replayed so far' }),
  caughtUp: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta({ description: "a rollback's catch-up: products its target generation lacked or held stale, written or deleted there so far" }),
  collection: z.string().meta({ description: 'the generation being filled (a filtered reindex: the live collection)' }),
  previousCollection: z.string().optional(),
  error: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  gates: gateReportSchema.optional().meta({ description: "each gate's figures, once the new generation was checked" }),
  modelId: z.string().optional(),
  updatedAt: z.string().optional().meta({ description: 'last change of the job record' }),
  replicaId: z.string().optional().meta({ description: 'the ingestion replica running the job' }),
  heartbeatAt: z.string().optional().meta({ description: "that replica's last sign of life" }),
  stalled: z
    .boolean()
    .optional()
    .meta({ description: 'true when a running job has given no sign of life for REINDEX_STALLED_AFTER_MS: its replica stopped; another one takes it over' }),
});

export const reindexJobListSchema = z.object({ jobs: z.array(reindexJobSchema) });

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
