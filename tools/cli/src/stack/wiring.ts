/**
 * How the services find each other when the CLI runs several of them in one
 * process: ports from the environment (the services' own variable names, plus
 * one metrics port per service, since METRICS_PORT would collide), internal
 * addresses on loopback (ingestion serves its metrics on INGESTION_PORT), and
 * the per-service overrides each `start…Service`
 * receives. Port 0 means "any free port" for the internal ports.
 * `stackEndpoints` is where such a stack answers, for `vsearch start` and
 * `vsearch status` alike, so both read the same variables.
 */
import path from 'node:path';
import { UsageError } from '../cli/errors';
import type { ServiceName, ServiceOverrides } from './services';

export interface StackPorts {
  queryApi: number;
  embedder: number;
  search: number;
  ingestion: number;
  embedderMetrics: number;
  searchMetrics: number;
}

export interface StackWiring {
  dataDir: string;
  ports: StackPorts;
  /** LOG_LEVEL given to the services (the CLI prints its own progress). */
  logLevel?: string;
}

const PORT_VARIABLES: Record<keyof StackPorts, [string, number]> = {
  queryApi: ['QUERY_API_PORT', 8080],
  embedder: ['EMBEDDER_PORT', 50051],
  search: ['SEARCH_PORT', 50052],
  ingestion: ['INGESTION_PORT', 8081],
  embedderMetrics: ['EMBEDDER_METRICS_PORT', 9464],
  searchMetrics: ['SEARCH_METRICS_PORT', 9465],
};

export const LOOPBACK = '127.0.0.1';

export function readStackWiring(environment: NodeJS.ProcessEnv, defaults: { logLevel?: string } = {}): StackWiring {
  const problems: string[] = [];
  const ports = {} as StackPorts;
  for (const [key, [variable, fallback]] of Object.entries(PORT_VARIABLES) as [keyof StackPorts, [string, number]][]) {
    const raw = environment[variable];
    if (raw === undefined || raw.trim() === '') {
      ports[key] = fallback;
      continue;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) problems.push(`${variable} (${JSON.stringify(raw)}): must be a port number from 0 to 65535`);
    else ports[key] = value;
  }
  if (problems.length > 0) throw new UsageError(`invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  return {
    dataDir: path.resolve(environment.DATA_DIR?.trim() || './data'),
    ports,
    logLevel: environment.LOG_LEVEL?.trim() || defaults.logLevel,
  };
}

/**
 * The query API's URL when a command is given none: where `vsearch start` put it with this environment
 * (QUERY_API_PORT), or port 8080 when that variable is not a port (the command that starts the stack reports that).
 */
export function defaultQueryApiUrl(environment: NodeJS.ProcessEnv = process.env): string {
  try {
    return `http://localhost:${readStackWiring(environment).ports.queryApi}`;
  } catch {
    return `http://localhost:${PORT_VARIABLES.queryApi[1]}`;
  }
}

/** Addresses of the services the others call; for a service not run here, whatever the environment says. */
export interface StackAddresses {
  embedderAddr: string;
  searchAddr: string;
  ingestionUrl: string;
}

/** Where a stack started with this environment answers: its public URL and the services' addresses. */
export interface StackEndpoints extends StackAddresses {
  queryApiUrl: string;
}

/**
 * The addresses of a stack run with `environment`: EMBEDDER_ADDR, SEARCH_ADDR, INGESTION_URL and
 * VSEARCH_API_URL when set, otherwise loopback on the `*_PORT` variables (their defaults when unset).
 * A port of 0 ("any free port") cannot be known from outside the stack; its address says port 0.
 */
export function stackEndpoints(environment: NodeJS.ProcessEnv, wiring: StackWiring = readStackWiring(environment)): StackEndpoints {
  return {
    queryApiUrl: environment.VSEARCH_API_URL?.trim() || `http://localhost:${wiring.ports.queryApi}`,
    embedderAddr: environment.EMBEDDER_ADDR?.trim() || `${LOOPBACK}:${wiring.ports.embedder}`,
    searchAddr: environment.SEARCH_ADDR?.trim() || `${LOOPBACK}:${wiring.ports.search}`,
    ingestionUrl: environment.INGESTION_URL?.trim() || `http://${LOOPBACK}:${wiring.ports.ingestion}`,
  };
}

/** `NAME=value ` for each port variable set to something other than its default, to prefix a command a user runs next. */
export function customPortAssignments(wiring: StackWiring): string {
  return (Object.entries(PORT_VARIABLES) as [keyof StackPorts, [string, number]][])
    .filter(([key, [, fallback]]) => wiring.ports[key] !== fallback)
    .map(([key, [variable]]) => `${variable}=${wiring.ports[key]} `)
    .join('');
}

export interface ExtraSettings {
  /** The generated catalog's images, served by the query API at /catalog-images. */
  catalogImagesDir?: string;
  adminApiKeys?: string[];
  /** Added to IMAGE_FETCH_ALLOW_HOSTS (ingestion and query-api): `host:port`, CIDR or `http://host:port/path/` entries. */
  allowHosts?: string[];
  /** EXECUTION_PROVIDERS of the embedder when the environment does not say. */
  executionProviders?: string;
  /** Bind embedder, search and ingestion to loopback (one machine: only the query API faces the network). */
  internalOnLoopback?: boolean;
  /** Ingestion writes alt text (DESCRIBE_IMAGES=true, over the environment); unset: the environment decides. */
  describeImages?: boolean;
}

export function overridesFor(
  name: ServiceName,
  wiring: StackWiring,
  addresses: StackAddresses,
  environment: NodeJS.ProcessEnv,
  extra: ExtraSettings = {},
): ServiceOverrides {
  const common: ServiceOverrides = { DATA_DIR: wiring.dataDir };
  if (wiring.logLevel) common.LOG_LEVEL = wiring.logLevel;
  const loopbackHost = (variable: string): ServiceOverrides => (extra.internalOnLoopback && !environment[variable] ? { [variable]: LOOPBACK } : {});
  const allowHosts = [...(environment.IMAGE_FETCH_ALLOW_HOSTS ?? '').split(','), ...(extra.allowHosts ?? [])].map((host) => host.trim()).filter(Boolean);
  switch (name) {
    case 'embedder':
      return {
        ...common,
        EMBEDDER_PORT: String(wiring.ports.embedder),
        METRICS_PORT: String(wiring.ports.embedderMetrics),
        ...loopbackHost('EMBEDDER_HOST'),
        ...(environment.EXECUTION_PROVIDERS ? {} : extra.executionProviders ? { EXECUTION_PROVIDERS: extra.executionProviders } : {}),
        // Every service shares these cores: onnxruntime's default (a spinning thread pool per tower, one
        // thread per core) took 2.7-3.0 ms of CPU per image during ingestion against 1.05-1.1 ms with one
        // thread, and the pipeline was slower for it (docs/benchmarks.md, ingestion).
        ...(environment.INTRA_OP_THREADS ? {} : { INTRA_OP_THREADS: '1' }),
      };
    case 'search':
      return { ...common, SEARCH_PORT: String(wiring.ports.search), METRICS_PORT: String(wiring.ports.searchMetrics), ...loopbackHost('SEARCH_HOST') };
    case 'ingestion':
      return {
        ...common,
        INGESTION_PORT: String(wiring.ports.ingestion),
        ...loopbackHost('INGESTION_HOST'),
        EMBEDDER_ADDR: addresses.embedderAddr,
        SEARCH_ADDR: addresses.searchAddr,
        IMAGE_FETCH_ALLOW_HOSTS: allowHosts.join(','),
        ...(extra.describeImages ? { DESCRIBE_IMAGES: 'true' } : {}),
      };
    case 'query-api':
      return {
        ...common,
        QUERY_API_PORT: String(wiring.ports.queryApi),
        EMBEDDER_ADDR: addresses.embedderAddr,
        SEARCH_ADDR: addresses.searchAddr,
        INGESTION_URL: addresses.ingestionUrl,
        IMAGE_FETCH_ALLOW_HOSTS: allowHosts.join(','),
        ...(extra.catalogImagesDir && !environment.CATALOG_IMAGES_DIR ? { CATALOG_IMAGES_DIR: extra.catalogImagesDir } : {}),
        ...(extra.adminApiKeys && !environment.ADMIN_API_KEYS ? { ADMIN_API_KEYS: extra.adminApiKeys.join(',') } : {}),
      };
  }
}
