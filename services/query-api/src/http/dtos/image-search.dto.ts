/** `POST /v1/search/image`: filters in the query string; the image as multipart `image` or JSON `{"imageUrl"}`. */
import { z } from 'zod';
import { filterShape, pageShape, refinePriceRange, sortShape } from './filters.dto';

export const imageSearchQuerySchema = z.strictObject({ ...sortShape, ...filterShape, ...pageShape(24) }).superRefine(refinePriceRange);
export type ImageSearchQuery = z.output<typeof imageSearchQuerySchema>;

export const imageUrlBodySchema = z.strictObject({
  imageUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
    .max(2048, 'must be at most 2048 characters')
    .meta({ description: 'a JPEG, PNG or WebP on a public host', example: 'https://images.example.com/p/123.jpg' }),
});
export type ImageUrlBody = z.output<typeof imageUrlBodySchema>;

/** The multipart form, for the OpenAPI document (multer parses it). */
export const imageUploadFormJsonSchema = {
  type: 'object',
  required: ['image'],
  properties: { image: { type: 'string', format: 'binary', description: 'JPEG, PNG or WebP' } },
} as const;
