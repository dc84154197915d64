/**
 * `POST /v1/classify`: what to classify (a photo as multipart `image` or JSON `imageUrl`, or a stored
 * `productId`) and the candidates (`labels`, with an optional prompt `template`, or a stored `attribute`).
 */
import { z } from 'zod';
import { MAX_CLASSIFY_LABELS, MAX_LABEL_LENGTH, MAX_PROMPT_LENGTH } from '@vsearch/contracts';
import { imageUrlBodySchema } from './image-search.dto';
import { productIdSchema } from './similar-query.dto';

const labelsSchema = z
  .array(z.string().trim().min(1, 'must not be empty').max(MAX_LABEL_LENGTH, `must be at most ${MAX_LABEL_LENGTH} characters`), {
    error: 'must be a list of labels',
  })
  .min(2, 'needs at least 2 labels (a probability is relative to the other labels)')
  .max(MAX_CLASSIFY_LABELS, `at most ${MAX_CLASSIFY_LABELS} labels`)
  .refine((labels) => new Set(labels.map((label) => label.toLowerCase())).size === labels.length, 'lists a label twice')
  .meta({ description: `candidate labels, 2 to ${MAX_CLASSIFY_LABELS}`, example: ['striped', 'dotted', 'plain'] });

/** The candidates, shared by the JSON body and the multipart form's text fields. */
const candidateShape = {
  labels: labelsSchema.optional(),
  template: z
    .string()
    .max(MAX_PROMPT_LENGTH, `must be at most ${MAX_PROMPT_LENGTH} characters`)
    .includes('{label}', { message: 'must contain {label}' })
    .optional()
    .meta({ description: 'prompt for each label, `{label}` replaced (default "a photo of a {label} product"); with `labels` only' }),
  attribute: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be an attribute name (lowercase letters, digits or "_")')
    .optional()
    .meta({ description: 'an attribute of the stored taxonomy: its labels and prompts are the candidates (instead of `labels`)', example: 'pattern' }),
};

function refineCandidates(value: { labels?: string[]; attribute?: string; template?: string }, context: z.RefinementCtx): void {
  if ((value.labels === undefined) === (value.attribute === undefined)) {
    context.addIssue({ code: 'custom', path: ['labels'], message: 'give either labels (2 or more) or attribute, not both and not neither' });
  }
  if (value.template !== undefined && value.labels === undefined) {
    context.addIssue({ code: 'custom', path: ['template'], message: "applies to labels only (an attribute's prompts come from the taxonomy)" });
  }
}

/** JSON: a photo URL or a product id, and the candidates. */
export const classifyJsonBodySchema = z
  .strictObject({
    imageUrl: imageUrlBodySchema.shape.imageUrl.optional(),
    productId: productIdSchema.optional().meta({ description: 'a stored product: classified from its indexed image vectors' }),
    ...candidateShape,
  })
  .superRefine((value, context) => {
    if ((value.imageUrl === undefined) === (value.productId === undefined)) {
      context.addIssue({ code: 'custom', path: ['imageUrl'], message: 'give either imageUrl or productId (or upload the photo as multipart "image")' });
    }
    refineCandidates(value, context);
  });
export type ClassifyJsonBody = z.output<typeof classifyJsonBodySchema>;

/** With a multipart `image` only: the candidates in the query string, `labels` repeated (`?labels=striped&labels=plain`). */
export const classifyUploadQuerySchema = z
  .strictObject({
    labels: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => (Array.isArray(value) ? value : [value]))
      .meta({ description: `candidate labels, 2 to ${MAX_CLASSIFY_LABELS}: repeat the parameter` })
      .pipe(labelsSchema)
      .optional(),
    template: candidateShape.template,
    attribute: candidateShape.attribute,
  })
  .superRefine(refineCandidates);
export type ClassifyUploadQuery = z.output<typeof classifyUploadQuerySchema>;

/** The multipart form, for the OpenAPI document (multer parses it). */
export const classifyUploadFormJsonSchema = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string', format: 'binary', description: 'JPEG, PNG or WebP' },
  },
} as const;

export const classifyResponseSchema = z.object({
  labels: z
    .array(z.object({ label: z.string(), probability: z.number().min(0).max(1) }))
    .meta({ description: "most probable first; softmax over the model's logit scale of the labels' cosines with the photo (or the product's images)" }),
  attribute: z.string().optional(),
  model: z.string().meta({ description: 'model id (name@version) that embedded the labels' }),
});
export type ClassifyResponse = z.infer<typeof classifyResponseSchema>;
