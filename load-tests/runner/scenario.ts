/**
 * Load scenarios are data (`load-tests/scenarios/*.json`), defined once and
 * read by both the k6 scripts (for SREs, against a cluster) and this runner
 * (open-loop HTTP and gRPC runners on node:http and @grpc/grpc-js, here). This module owns their schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const SCENARIOS_DIR = path.resolve(__dirname, '../scenarios');

const duration = z.string().regex(/^\d+(ms|s|m)$/, 'must be a duration such as "30s", "500ms" or "2m"');
const weight = z.number().positive();

const textSearch = z.strictObject({
  kind: z.literal('text-search'),
  weight,
  queries: z.array(z.string().min(1)).min(1),
  /** Query-string filters, one picked at random per request. */
  filters: z.array(z.record(z.string(), z.string())).min(1).optional(),
});
const photoSearch = z.strictObject({
  kind: z.literal('photo-search'),
  weight,
  /** Directory (relative to the repository) of JPEG/PNG/WebP files to upload. */
  imagesDir: z.string().min(1),
  maxImages: z.number().int().positive().default(32),
});
const similar = z.strictObject({
  kind: z.literal('similar'),
  weight,
  /** Searches run once in setup to collect product ids for "more like this". */
  seedQueries: z.array(z.string().min(1)).min(1),
});
const embedTexts = z.strictObject({
  kind: z.literal('embed-texts'),
  weight,
  texts: z.array(z.string().min(1)).min(1),
  priority: z.enum(['PRIORITY_INTERACTIVE', 'PRIORITY_BULK']),
});
const embedImages = z.strictObject({
  kind: z.literal('embed-images'),
  weight,
  /** Images per call, as preprocessed pixels at the model's input size. */
  batch: z.number().int().positive().max(256),
  priority: z.enum(['PRIORITY_INTERACTIVE', 'PRIORITY_BULK']),
});

export const httpRequestSchema = z.discriminatedUnion('kind', [textSearch, photoSearch, similar]);
export const grpcRequestSchema = z.discriminatedUnion('kind', [embedTexts, embedImages]);

const common = {
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string(),
  target: z.strictObject({ env: z.string(), default: z.string() }),
  /** k6's constant-arrival-rate executor: `rate` iterations per second for `duration`. */
  profile: z.strictObject({
    rate: z.number().positive(),
    duration,
    preAllocatedVUs: z.number().int().positive(),
    maxVUs: z.number().int().positive(),
  }),
  thresholds: z.strictObject({
    /** Highest share of failed requests (non-2xx, errors, timeouts), 0 to 1. */
    errorRate: z.number().min(0).max(1),
    p95Ms: z.number().positive(),
    p99Ms: z.number().positive(),
    /** During a background action: p95 at most this multiple of the baseline p95 measured just before. */
    p95RatioToBaseline: z.number().positive().optional(),
  }),
};

export const scenarioSchema = z.discriminatedUnion('protocol', [
  z.strictObject({
    ...common,
    protocol: z.literal('http'),
    requests: z.array(httpRequestSchema).min(1),
    /** A background action run while the load runs, after a baseline of the same load. */
    during: z.strictObject({ action: z.literal('reindex'), apiKeyEnv: z.string(), timeout: duration }).optional(),
  }),
  z.strictObject({ ...common, protocol: z.literal('grpc'), requests: z.array(grpcRequestSchema).min(1) }),
]);

export type Scenario = z.infer<typeof scenarioSchema>;
export type HttpScenario = Extract<Scenario, { protocol: 'http' }>;
export type GrpcScenario = Extract<Scenario, { protocol: 'grpc' }>;
export type HttpRequestDefinition = z.infer<typeof httpRequestSchema>;
export type GrpcRequestDefinition = z.infer<typeof grpcRequestSchema>;

export function parseDurationMs(value: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(value);
  if (!match) throw new Error(`bad duration ${value}`);
  const amount = Number(match[1]);
  return match[2] === 'ms' ? amount : match[2] === 's' ? amount * 1000 : amount * 60_000;
}

export function listScenarioNames(dir = SCENARIOS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.replace(/\.json$/, ''))
    .sort();
}

/** Loads `<dir>/<name>.json` (or a path to a JSON file) and validates it, naming every problem. */
export function loadScenario(nameOrPath: string, dir = SCENARIOS_DIR): Scenario {
  const file = nameOrPath.endsWith('.json') ? path.resolve(nameOrPath) : path.join(dir, `${nameOrPath}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read scenario ${file}: ${(error as Error).message}; known scenarios: ${listScenarioNames(dir).join(', ')}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`scenario ${file} is invalid: ${problems}`);
  }
  return parsed.data;
}

/** The target address: the scenario's environment variable when set, else its default. */
export function resolveTarget(scenario: Scenario, env: NodeJS.ProcessEnv = process.env): string {
  return env[scenario.target.env] || scenario.target.default;
}
