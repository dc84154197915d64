/**
 * The OpenAPI document comes from the same zod schemas that validate
 * requests, so /docs describes what the routes really accept.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { errorResponseSchema } from './dtos/responses.dto';
import { tagFilterParamDescription } from './dtos/tag-filter.dto';

type JsonSchema = Record<string, unknown>;

export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** One `@ApiQuery` per property of a (strict) object schema of query parameters. */
export function ApiQueryFrom(schema: z.ZodType): MethodDecorator {
  const json = openApiSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return applyDecorators(
    ...Object.entries(properties).map(([name, property]) => {
      const { description, example, ...rest } = property;
      const anyOf = rest.anyOf as JsonSchema[] | undefined;
      // Repeatable parameters: document the array form (`?brand=a&brand=b`); commas also work.
      const arrayForm = anyOf?.find((branch) => branch.type === 'array');
      return ApiQuery({
        name,
        required: required.has(name),
        description: description as string | undefined,
        example,
        schema: (arrayForm ?? rest) as never,
        ...(arrayForm ? { style: 'form', explode: true } : {}),
      });
    }),
  );
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid or unknown parameter, or a body that does not parse',
  401: 'X-Api-Key header missing',
  403: 'X-Api-Key not accepted',
  404: 'not found',
  413: 'upload or body larger than allowed (bytes or pixels)',
  415: 'not a JPEG, PNG or WebP (whatever the file is named)',
  422: 'an image that cannot be decoded, or a URL that cannot be fetched',
  429: 'rate limited; Retry-After says when to retry',
  503: 'a dependency (embedder, search, ingestion, event log) is down, or this server decodes all the photos it can; Retry-After says when to retry',
};

/** Documents the `{"error":{"code","message"}}` body for each status a route can answer with. */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  const schema = openApiSchema(errorResponseSchema);
  return applyDecorators(...[...statuses, 429].map((status) => ApiResponse({ status, description: ERROR_DESCRIPTIONS[status] ?? 'error', schema })));
}

export const ApiRequestIdHeader = () =>
  ApiHeader({ name: 'X-Request-Id', required: false, description: 'request id, echoed back and carried to the services behind' });

/** The open-ended `tag.<attribute>` filter parameters of the search routes (tag-filter.dto.ts). */
export function ApiTagFilterQuery(): MethodDecorator {
  return ApiQuery({
    name: 'tag.{attribute}',
    required: false,
    description: tagFilterParamDescription,
    schema: { type: 'array', items: { type: 'string' } },
    style: 'form',
    explode: true,
    example: ['striped'],
  });
}
