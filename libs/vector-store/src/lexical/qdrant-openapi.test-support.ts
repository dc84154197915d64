/**
 * Test support, imported by specs only (ajv is a dev dependency): Qdrant 1.19's OpenAPI spec as
 * ajv validators of its component schemas. The spec is read from `shared/reference/qdrant/`
 * beside the repository, as qdrant/qdrant-contract.int-spec.ts finds it (plus beside the main
 * checkout of a linked worktree); it is never copied into the repository.
 *
 * Stricter than the spec: an object schema that lists its properties and says nothing of others
 * is closed (`additionalProperties: false`), so a misspelled key ("modifer") fails instead of
 * passing unread. The spec has no `allOf`, where closing would reject valid bodies.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { REPO_ROOT } from '@vsearch/testing';

const SPEC_IN_SHARED = path.join('shared', 'reference', 'qdrant', 'openapi-v1.19.0.json');

/**
 * Where `shared/` lies beside this checkout; beside the main checkout, for a linked worktree
 * (`git worktree add` elsewhere); beside the local repository a clone was made from.
 */
function specCandidates(): string[] {
  const candidates = [path.resolve(REPO_ROOT, '..', SPEC_IN_SHARED)];
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return ''; // Not a git checkout, or the setting is absent.
    }
  };
  const commonDir = git('rev-parse', '--path-format=absolute', '--git-common-dir');
  if (path.basename(commonDir) === '.git') candidates.push(path.resolve(commonDir, '..', '..', SPEC_IN_SHARED));
  const origin = git('config', '--get', 'remote.origin.url');
  if (path.isAbsolute(origin)) candidates.push(path.resolve(origin, '..', SPEC_IN_SHARED));
  return [...new Set(candidates)];
}

/** Validates a value against one of the spec's component schemas; `errors` is ajv's text when it does not conform. */
export type SchemaCheck = (value: unknown) => { valid: boolean; errors: string };

/** The spec as JSON Schema (OpenAPI's `nullable` converted), read from where `shared/` lies; fails naming every place it looked. */
export function readQdrantSpec(options: { closeObjects?: boolean } = {}): { components: { schemas: Record<string, unknown> }; paths: Record<string, unknown> } {
  const candidates = specCandidates();
  const specPath = candidates.find((candidate) => fs.existsSync(candidate));
  if (!specPath) {
    throw new Error(
      `Qdrant's OpenAPI spec is missing: looked for ${candidates.join(' and ')} (../shared/reference/qdrant/openapi-v1.19.0.json next to the repository root ${REPO_ROOT}, its main checkout, or the repository it was cloned from)`,
    );
  }
  const converted = openApiToJsonSchema(JSON.parse(fs.readFileSync(specPath, 'utf8')));
  return (options.closeObjects ? closeObjects(converted) : converted) as ReturnType<typeof readQdrantSpec>;
}

/** An ajv instance holding the spec under the id `qdrant`; numeric and string formats (uint, double, uuid, ...) are not checked. */
export function qdrantAjv(spec: object): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  for (const format of ['uint', 'uint64', 'uint32', 'uint8', 'uint16', 'int64', 'int32', 'float', 'double', 'uuid', 'date-time', 'partial-date-time'])
    ajv.addFormat(format, true);
  ajv.addSchema(spec, 'qdrant');
  return ajv;
}

/** Loads the spec with closed objects and returns a validator factory by schema name. */
export function loadQdrantSchemas(): { check(schemaName: string): SchemaCheck; schemaNames: string[] } {
  const spec = readQdrantSpec({ closeObjects: true });
  const ajv = qdrantAjv(spec);
  const schemaNames = Object.keys(spec.components.schemas);
  return {
    schemaNames,
    check(schemaName) {
      if (!schemaNames.includes(schemaName)) throw new Error(`Qdrant's OpenAPI spec has no schema ${schemaName}`);
      const validate = ajv.compile({ $ref: `qdrant#/components/schemas/${schemaName}` });
      return (value) => {
        const valid = validate(value);
        return { valid, errors: valid ? '' : ajv.errorsText(validate.errors) };
      };
    },
  };
}

/** Object schemas with `properties` and no `additionalProperties` refuse other keys. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const converted = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([name, schema]) => [name, closeObjects(schema)])) : closeObjects(value),
    ]),
  );
  if (converted.allOf !== undefined) throw new Error('closing object schemas under allOf would reject valid bodies');
  if (converted.properties && typeof converted.properties === 'object' && converted.additionalProperties === undefined)
    return { ...converted, additionalProperties: false };
  return converted;
}

/** OpenAPI 3.0 `nullable: true` → JSON Schema's null type, which ajv understands. */
function openApiToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiToJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, openApiToJsonSchema(value)]));
  if (nullable !== true) return converted;
  if (Object.keys(converted).length === 0) return { type: 'null' };
  if (typeof converted.type === 'string')
    return { ...converted, type: [converted.type, 'null'], ...(Array.isArray(converted.enum) ? { enum: [...converted.enum, null] } : {}) };
  return { anyOf: [converted, { type: 'null' }] };
}
