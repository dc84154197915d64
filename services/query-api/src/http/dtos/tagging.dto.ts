/** Admin tagging routes: the taxonomy body (JSON or YAML), preview and export parameters, and their answers. */
import { z } from 'zod';
import { MAX_LABEL_LENGTH, taxonomyInputSchema } from '@vsearch/contracts';

/** For the OpenAPI document; the body is validated by `validateTaxonomy` (errors naming attribute and label). */
export const taxonomyBodySchema = taxonomyInputSchema;

const attributeName = z
  .string({ error: 'attribute is required' })
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be an attribute name of the taxonomy (lowercase letters, digits or "_")')
  .meta({ description: 'attribute of the taxonomy to preview', example: 'pattern' });

export const previewQuerySchema = z.strictObject({
  attribute: attributeName,
  limit: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(10)
    .meta({ description: 'products listed per label, most confident first' }),
});
export type PreviewQuery = z.output<typeof previewQuerySchema>;

const productTagSchema = z.object({
  attribute: z.string(),
  label: z.string().max(MAX_LABEL_LENGTH),
  confidence: z.number().min(0).max(1).meta({ description: "softmax probability of the label among the attribute's labels" }),
  taxonomyVersion: z.number().int().positive(),
});
export const productTagsSchema = z.array(productTagSchema);

export const taxonomyStoredSchema = z.object({
  taxonomyVersion: z.number().int().positive(),
  queued: z.boolean().meta({
    description: 'true when a re-tag was running: this version waits for it to end (a newer upload replaces it); false when re-tagging started',
  }),
  message: z.string(),
});

export const taggingStatusSchema = z.object({
  taxonomy: z
    .object({ version: z.number().int().positive(), createdAt: z.string(), attributes: taxonomyInputSchema.shape.attributes })
    .optional()
    .meta({ description: 'the active taxonomy; absent before the first upload' }),
  modelId: z.string().optional(),
  state: z
    .enum(['idle', 'tagging', 'done', 'failed'])
    .meta({ description: '`tagging` while a re-tag runs; `done` when every product carries the active version' }),
  productsTagged: z.number().int().nonnegative(),
  productsTotal: z.number().int().nonnegative(),
  error: z.string().optional(),
  queuedVersion: z.number().int().positive().optional(),
});

export const previewResponseSchema = z.object({
  attribute: z.string(),
  labels: z.array(
    z.object({
      label: z.string(),
      productCount: z.number().int().nonnegative(),
      products: z.array(z.object({ productId: z.string(), title: z.string(), imageUrl: z.string(), confidence: z.number() })),
    }),
  ),
});
