/**
 * Golden queries: merchandisers' list of searches with the products each must find, kept as JSONL
 * (one `{"query": ..., "expectedProductIds": [...]}` or `{"imageUrl": ..., "expectedProductIds": [...]}`
 * per line). A new index generation may not answer them worse than the live one (the
 * `golden_recall` gate). Stored as one record of the compacted topic `catalog.golden-queries.v1`.
 */
import { z } from 'zod';

export const CATALOG_GOLDEN_QUERIES_TOPIC = 'catalog.golden-queries.v1';

/** Queries in one set: each is searched in two generations at every gated swap. */
export const MAX_GOLDEN_QUERIES = 2_000;
/** Bytes of one uploaded JSONL file (well under a Kafka record's default limit of 1 MiB once wrapped). */
export const MAX_GOLDEN_QUERIES_BYTES = 512 * 1024;

const expectedProductIds = z.array(z.string().min(1).max(200)).min(1, 'must name at least one product').max(50);

const textGoldenQuerySchema = z.strictObject({
  query: z.string().trim().min(1, 'must not be empty').max(500),
  expectedProductIds,
});

const imageGoldenQuerySchema = z.strictObject({
  imageUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
  expectedProductIds,
});

export const goldenQuerySchema = z.union([textGoldenQuerySchema, imageGoldenQuerySchema], {
  error: 'must be {"query": "...", "expectedProductIds": [...]} or {"imageUrl": "...", "expectedProductIds": [...]}',
});

export type GoldenQuery = z.infer<typeof goldenQuerySchema>;

/** The stored set: what was uploaded, and when. */
export const goldenQuerySetSchema = z.strictObject({
  queries: z.array(goldenQuerySchema).max(MAX_GOLDEN_QUERIES),
  updatedAt: z.iso.datetime({ offset: true }),
});

export type GoldenQuerySet = z.infer<typeof goldenQuerySetSchema>;

export type GoldenQueriesParseResult = { ok: true; queries: GoldenQuery[] } | { ok: false; errors: string[] };

/** Problems reported at once from a bad file, so an operator fixes many lines per upload. */
const MAX_REPORTED_ERRORS = 20;

/**
 * Parses a JSONL golden set; every problem names its line (1-based). Blank lines are skipped.
 * Never throws: a bad upload gets its errors back.
 */
export function parseGoldenQueriesJsonl(text: string): GoldenQueriesParseResult {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_GOLDEN_QUERIES_BYTES) return { ok: false, errors: [`the file is ${bytes} bytes, more than the ${MAX_GOLDEN_QUERIES_BYTES} allowed`] };
  const errors: string[] = [];
  const queries: GoldenQuery[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (errors.length >= MAX_REPORTED_ERRORS) break;
    if (line.trim() === '') continue;
    const lineNumber = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      errors.push(`line ${lineNumber}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const parsed = goldenQuerySchema.safeParse(value);
    if (!parsed.success) {
      errors.push(`line ${lineNumber}: ${describeIssues(parsed.error)}`);
      continue;
    }
    queries.push(parsed.data);
  }
  if (errors.length === 0 && queries.length === 0) errors.push('the file holds no queries');
  if (queries.length > MAX_GOLDEN_QUERIES) errors.push(`the file holds ${queries.length} queries, more than the ${MAX_GOLDEN_QUERIES} allowed`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, queries };
}

/** The stored set as JSONL again (what `GET /v1/admin/golden-queries` and `vsearch golden show` print). */
export function goldenQueriesToJsonl(queries: readonly GoldenQuery[]): string {
  return queries.map((query) => JSON.stringify(query)).join('\n') + (queries.length > 0 ? '\n' : '');
}

function describeIssues(error: z.ZodError): string {
  // A union's failure lists each branch's issues; the branch with the fewest is the one meant.
  const union = error.issues.find((issue) => issue.code === 'invalid_union');
  const branches = union && 'errors' in union ? (union.errors as z.core.$ZodIssue[][]) : undefined;
  const issues = branches?.length ? branches.reduce((best, branch) => (branch.length < best.length ? branch : best)) : error.issues;
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}
