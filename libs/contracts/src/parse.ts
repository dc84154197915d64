/**
 * Parsing at the edge: raw bytes in, a typed value or a typed reason out.
 * Never throws, so a consumer can dead-letter the message and move on.
 */
import type { z } from 'zod';
import { catalogEventSchema, MAX_EVENT_BYTES, type CatalogEvent } from './catalog-events';
import { reindexRequestedSchema, reindexTopicMessageSchema, type ReindexRequested, type ReindexTopicMessage } from './reindex-requests';

export type ParseFailureCode = 'too_large' | 'invalid_encoding' | 'invalid_json' | 'unknown_type' | 'schema_violation';

export interface ParseIssue {
  /** Dotted path of the offending field, for instance `images.0.url`; empty for the whole value. */
  path: string;
  message: string;
}

export interface ParseFailure {
  code: ParseFailureCode;
  /** One line naming the problem, suitable for a dead-letter header or an HTTP 400. */
  message: string;
  issues: ParseIssue[];
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseFailure };

const KNOWN_CATALOG_TYPES = ['product.upserted', 'product.deleted'];

export function parseCatalogEvent(raw: string | Uint8Array): ParseResult<CatalogEvent> {
  return parseWith(raw, catalogEventSchema, KNOWN_CATALOG_TYPES);
}

export function parseReindexRequest(raw: string | Uint8Array): ParseResult<ReindexRequested> {
  return parseWith(raw, reindexRequestedSchema, ['reindex.requested']);
}

/** A message of `catalog.reindex.v1`: a reindex or a rollback request. */
export function parseReindexTopicMessage(raw: string | Uint8Array): ParseResult<ReindexTopicMessage> {
  return parseWith(raw, reindexTopicMessageSchema, ['reindex.requested', 'rollback.requested']);
}

/** Validates an already-decoded value (for instance a JSONL line parsed elsewhere). */
export function validateCatalogEvent(value: unknown): ParseResult<CatalogEvent> {
  return validateWith(value, catalogEventSchema, KNOWN_CATALOG_TYPES);
}

function parseWith<T>(raw: string | Uint8Array, schema: z.ZodType<T>, knownTypes: string[]): ParseResult<T> {
  const byteLength = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (byteLength > MAX_EVENT_BYTES) {
    return failure('too_large', `event is ${byteLength} bytes, more than the ${MAX_EVENT_BYTES} allowed`);
  }
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return failure('invalid_encoding', 'event is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return failure('invalid_json', `event is not valid JSON: ${(error as Error).message}`);
  }
  return validateWith(value, schema, knownTypes);
}

function validateWith<T>(value: unknown, schema: z.ZodType<T>, knownTypes: string[]): ParseResult<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failure('schema_violation', 'event must be a JSON object');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !knownTypes.includes(type)) {
    return failure('unknown_type', `unknown event type ${JSON.stringify(type ?? null)}; expected one of ${knownTypes.join(', ')}`);
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  return { ok: false, error: { code: 'schema_violation', message: `invalid ${type} event: ${summary}`, issues } };
}

function failure(code: ParseFailureCode, message: string): { ok: false; error: ParseFailure } {
  return { ok: false, error: { code, message, issues: [] } };
}
