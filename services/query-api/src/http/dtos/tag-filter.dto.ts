/**
 * Tag filters in a search's query string: `tag.<attribute>=<label>`, repeated (or comma-separated)
 * for any of several labels, several attributes all required (`tag.pattern=striped&tag.colour=red,blue`).
 * The parameter names are open-ended, so they are taken out of the query before the route's strict
 * schema reads the rest (`takeTagFilter`), and documented as one `tag.{attribute}` parameter.
 */
import { z } from 'zod';
import { TAG_ATTRIBUTE_NAME, type TagFilter } from '@vsearch/contracts';

export const TAG_PARAM_PREFIX = 'tag.';
const MAX_TAG_ATTRIBUTES = 10;
const MAX_LABELS_PER_TAG = 20;

const labelsOf = (parameter: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((item) => item.split(','))
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.string().max(100, `each ${parameter} label must be at most 100 characters`))
        .min(1, `${parameter} needs a label`)
        .max(MAX_LABELS_PER_TAG, `at most ${MAX_LABELS_PER_TAG} ${parameter} labels`),
    );

export const tagFilterParamDescription =
  'zero-shot tag filter: `tag.<attribute>=<label>` (for instance `tag.pattern=striped`); repeat the parameter or separate labels with commas for any of them; several attributes must all match';

/**
 * Splits a parsed query string into its tag filter and the other parameters. A malformed tag
 * parameter is a `{path, message}` problem for the caller to report with the rest.
 */
export function takeTagFilter(query: Record<string, unknown>): { rest: Record<string, unknown>; tags?: TagFilter; problems: string[] } {
  const rest: Record<string, unknown> = {};
  const tags: TagFilter = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (!key.startsWith(TAG_PARAM_PREFIX)) {
      rest[key] = value;
      continue;
    }
    const attribute = key.slice(TAG_PARAM_PREFIX.length);
    if (!TAG_ATTRIBUTE_NAME.test(attribute)) {
      problems.push(`${key}: "${attribute}" is not an attribute name (lowercase letters, digits or "_", starting with a letter)`);
      continue;
    }
    const labels = labelsOf(key).safeParse(value);
    if (!labels.success) problems.push(...labels.error.issues.map((issue) => `${key}: ${issue.message}`));
    else tags[attribute] = [...new Set(labels.data)];
  }
  if (Object.keys(tags).length > MAX_TAG_ATTRIBUTES) problems.push(`at most ${MAX_TAG_ATTRIBUTES} tag.<attribute> filters`);
  return { rest, tags: Object.keys(tags).length > 0 ? tags : undefined, problems };
}
