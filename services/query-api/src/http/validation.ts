/**
 * zod at the HTTP edge: parameter decorators that parse the query string, the
 * body or a path parameter into a typed DTO, or refuse it naming the problem
 * (InvalidRequestError: 400).
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { z } from 'zod';
import { InvalidRequestError } from '@vsearch/contracts';
import { takeTagFilter } from './dtos/tag-filter.dto';

export type InputPlace = 'query' | 'body' | 'path';

/** Parses `value` or throws InvalidRequestError: `unknown_parameter` for extra keys, else `invalid_parameter`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, place: InputPlace, label?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const unknownKeys = result.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []));
  if (unknownKeys.length > 0) {
    const noun = place === 'query' ? 'query parameter' : place === 'body' ? 'body field' : 'path parameter';
    throw new InvalidRequestError('unknown_parameter', `unknown ${noun}${unknownKeys.length > 1 ? 's' : ''}: ${unknownKeys.join(', ')}`);
  }
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length > 0 ? issue.path.join('.') : (label ?? place);
    return `${name}: ${issue.message}`;
  });
  throw new InvalidRequestError('invalid_parameter', problems.join('; '));
}

// Nest takes a decorator argument with a `transform` method for a pipe (every zod schema has one)
// and `{schema}` for its own Standard Schema options: the schema travels under another key.
interface SchemaHolder {
  zodSchema: z.ZodType;
  name?: string;
}

const validQuery = createParamDecorator(({ zodSchema: schema }: SchemaHolder, context: ExecutionContext) =>
  parseInput(schema, context.switchToHttp().getRequest<Request>().query, 'query'),
);
const validBody = createParamDecorator(({ zodSchema: schema }: SchemaHolder, context: ExecutionContext) =>
  parseInput(schema, context.switchToHttp().getRequest<Request>().body, 'body'),
);
const validParam = createParamDecorator(({ zodSchema: schema, name }: SchemaHolder, context: ExecutionContext) =>
  parseInput(schema, context.switchToHttp().getRequest<Request>().params[name ?? ''], 'path', name),
);

/** `@ValidQuery(schema) query: z.output<typeof schema>` */
export const ValidQuery = (schema: z.ZodType): ParameterDecorator => validQuery({ zodSchema: schema });

/** `@ValidBody(schema) body: z.output<typeof schema>`; an absent body parses as `undefined`. */
export const ValidBody = (schema: z.ZodType): ParameterDecorator => validBody({ zodSchema: schema });

/** `@ValidParam('id', schema) id: string` */
export const ValidParam = (name: string, schema: z.ZodType): ParameterDecorator => validParam({ zodSchema: schema, name });

const validSearchQuery = createParamDecorator(({ zodSchema: schema }: SchemaHolder, context: ExecutionContext) => {
  const { rest, tags, problems } = takeTagFilter(context.switchToHttp().getRequest<Request>().query);
  if (problems.length > 0) throw new InvalidRequestError('invalid_parameter', problems.join('; '));
  const parsed = parseInput(schema, rest, 'query') as Record<string, unknown>;
  return tags ? { ...parsed, tags } : parsed;
});

/** `@ValidSearchQuery(schema) query: z.output<typeof schema> & { tags?: TagFilter }`: a search's query with its `tag.<attribute>` filters. */
export const ValidSearchQuery = (schema: z.ZodType): ParameterDecorator => validSearchQuery({ zodSchema: schema });
