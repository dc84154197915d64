/** Admin reindex: the request body (optional narrowing) and the job id path parameter. */
import { z } from 'zod';

export const reindexBodySchema = z
  .strictObject({
    categories: z.array(z.string().trim().min(1).max(100)).min(1).max(20).optional().meta({
      description:
        'refresh only products in these categories, in place in the live collection (fetched and embedded again; no new generation, no alias swap); when absent, the whole catalog is rebuilt into a new generation and the alias swapped',
    }),
    reason: z.string().max(500).optional().meta({ description: 'why, for the audit log' }),
    modelId: z.string().trim().min(1).max(200).optional().meta({
      description:
        'the model to fill the new generation with (a model rollout): one the embedder has loaded beside its default (GetModelInfo loaded_model_ids); when absent, the default model. Whole-catalog reindex only',
    }),
    force: z
      .strictObject({ reason: z.string().trim().min(1, 'must say why').max(500) })
      .optional()
      .meta({
        description:
          'swap the alias even if the new generation fails its gates (whole-catalog reindex only); the reason is logged and recorded in the gate report',
      }),
  })
  .refine((body) => !(body.modelId && body.categories), {
    message: 'modelId applies to a whole-catalog reindex, not to categories refreshed in place',
    path: ['modelId'],
  })
  .refine((body) => !(body.force && body.categories), { message: 'force applies to a whole-catalog reindex; a filtered one swaps nothing', path: ['force'] })
  .default({});
export type ReindexBody = z.output<typeof reindexBodySchema>;

export const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"');
