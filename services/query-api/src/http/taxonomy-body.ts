/**
 * Body parsing for the taxonomy routes: a whole taxonomy (50 attributes of up to 200 labels with their
 * prompts) is larger than the 64 KB other JSON bodies may be, and merchandisers write it in YAML as
 * often as in JSON. YAML arrives as text here and is parsed by the controller (`parseTaxonomyText`).
 */
import express, { type RequestHandler } from 'express';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InvalidRequestError } from '@vsearch/contracts';

/** The routes that take a taxonomy in their body. */
export const TAXONOMY_BODY_ROUTES = ['/v1/admin/taxonomy', '/v1/admin/tags/preview'];
export const TAXONOMY_BODY_LIMIT = '1mb';
export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

export function taxonomyBodyParsers(): RequestHandler[] {
  return [express.json({ limit: TAXONOMY_BODY_LIMIT, strict: true }), express.text({ type: YAML_CONTENT_TYPES, limit: TAXONOMY_BODY_LIMIT })];
}

/** A YAML body's value (JSON is YAML too), or a 400 naming the line. */
export function parseTaxonomyText(text: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const at = error.linePos?.[0];
      throw new InvalidRequestError(
        'invalid_yaml',
        `the body is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}: ${error.message.split('\n')[0]}`,
      );
    }
    throw error;
  }
}
