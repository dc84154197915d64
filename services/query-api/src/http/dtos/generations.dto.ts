/** Admin generations and rollback: the list's response, the rollback body, the gate report as JSON. */
import { z } from 'zod';

export const gateResultSchema = z.object({
  gate: z.enum(['product_count', 'failed_images', 'golden_recall', 'catalog_recall']),
  passed: z.boolean(),
  measured: z.number().meta({ description: "the new generation's figure: a count, a share or a recall@10" }),
  required: z.number().meta({ description: 'the bound it had to meet (≥ for counts and recall, ≤ for the failed-image share)' }),
  live: z.number().optional().meta({ description: "the live generation's figure the bound came from" }),
  detail: z.string().optional(),
});

export const gateReportSchema = z.object({
  passed: z.boolean(),
  gates: z.array(gateResultSchema),
  forcedReason: z.string().optional().meta({ description: 'set when the generation swapped in although a gate failed (--force, or a self-heal)' }),
  checkedAt: z.string(),
});

export const generationSchema = z.object({
  name: z.string(),
  status: z.enum(['live', 'building', 'retained', 'rejected', 'unknown']),
  modelId: z.string(),
  dimension: z.number().int(),
  productCount: z.number().int().nonnegative(),
  pointCount: z.number().int().nonnegative().meta({ description: 'stored image vectors' }),
  receivesWrites: z.boolean(),
  builtBy: z.string().optional(),
  createdAt: z.string().optional(),
  swappedInAt: z.string().optional(),
  swappedOutAt: z.string().optional(),
  gates: gateReportSchema.optional(),
  dropAfter: z.string().optional().meta({ description: 'when retention ends and the sweeper drops it' }),
  damage: z.string().optional(),
});

export const generationsResponseSchema = z.object({ generations: z.array(generationSchema) });

export const rollbackBodySchema = z
  .strictObject({
    to: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a collection name')
      .optional()
      .meta({ description: 'the retained generation to swap to; default: the one that served before the live one' }),
    reason: z.string().max(500).optional().meta({ description: 'why, for the audit log' }),
  })
  .default({});
export type RollbackBody = z.output<typeof rollbackBodySchema>;

export const goldenQueriesStoredSchema = z.object({ queries: z.number().int(), updatedAt: z.string() });
