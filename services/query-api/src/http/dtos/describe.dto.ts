/**
 * `POST /v1/describe` and `POST /v1/ask`: a photo (multipart `image`, or JSON `imageUrl`), or for
 * ask a stored `productId`, and a shopper's question.
 */
import { z } from 'zod';
import { imageUrlBodySchema } from './image-search.dto';
import { productIdSchema } from './similar-query.dto';

/**
 * The longest question read here. The describer may accept fewer (its GetDescriberInfo
 * max_question_chars; the service checks that too); this bound keeps a 5 KB paste from travelling further.
 */
export const MAX_QUESTION_CHARS = 500;

const questionSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_QUESTION_CHARS, `must be at most ${MAX_QUESTION_CHARS} characters`)
  .meta({ description: `a question about what the photo shows, 1 to ${MAX_QUESTION_CHARS} characters`, example: 'what colour is it?' });

/** JSON describe: a photo URL. */
export const describeJsonBodySchema = imageUrlBodySchema;

/** JSON ask: a photo URL or a stored product id, and the question. */
export const askJsonBodySchema = z
  .strictObject({
    imageUrl: imageUrlBodySchema.shape.imageUrl.optional(),
    productId: productIdSchema.optional().meta({ description: 'a stored product: asked about through its first indexed image' }),
    question: questionSchema,
  })
  .superRefine((value, context) => {
    if ((value.imageUrl === undefined) === (value.productId === undefined)) {
      context.addIssue({ code: 'custom', path: ['imageUrl'], message: 'give either imageUrl or productId (or upload the photo as multipart "image")' });
    }
  });
export type AskJsonBody = z.output<typeof askJsonBodySchema>;

/** With a multipart `image`: the question in the query string (multipart forms carry the file only). */
export const askUploadQuerySchema = z.strictObject({ question: questionSchema });

export const describeResponseSchema = z.object({
  description: z
    .string()
    .meta({ description: 'what the photo shows, in words (alt text)', example: 'a red striped t-shirt on a flat backdrop, shown upright' }),
  attributes: z.object({ category: z.string().optional(), colour: z.string().optional(), pattern: z.string().optional() }).meta({
    description:
      'catalog values the description names (the catalog\'s categories, colours and patterns, synonyms read as their value: "polka dot" is dotted); an attribute is left out when the description names none or several',
  }),
  finishReason: z.enum(['stop', 'length', 'repetition']).meta({ description: 'why the model stopped writing' }),
  model: z.string().meta({ description: 'the describer model (name@version+dtype)' }),
});
export type DescribeResponse = z.infer<typeof describeResponseSchema>;

export const askResponseSchema = z.object({
  answer: z.string().meta({ example: 'red' }),
  answerable: z
    .boolean()
    .meta({ description: 'false when the answer is the model\'s "can\'t tell" answer (price, size, material, brand, or words it does not know)' }),
  unknownWords: z.array(z.string()).meta({ description: 'the question\'s words the model does not know; any of them means "can\'t tell"' }),
  model: z.string().meta({ description: 'the describer model (name@version+dtype)' }),
});
export type AskResponse = z.infer<typeof askResponseSchema>;
