/**
 * What a service started by the test harness is told through its environment: which ports it
 * binds (and on loopback only), where the services it calls listen, its DATA_DIR, and the
 * caller's own settings on top. Pure: the harness runs `services/<name>/src/main.ts` with the result.
 */
import type { EnvSettings } from '../processes';

/** The services the harness starts, in the order they can start (the ones called first). */
export const STACK_SERVICES = ['embedder', 'search', 'query-api', 'ingestion'] as const;
export type StackServiceName = (typeof STACK_SERVICES)[number];

export interface ServicePorts {
  /** The gRPC port (embedder, search) or HTTP port (ingestion, query-api; /metrics included). */
  port: number;
  /** The Prometheus port of the gRPC services (ingestion and query-api have none of their own). */
  metricsPort?: number;
}

interface ServiceVariables {
  port: string;
  metricsPort?: string;
  host: string;
  /** The services it calls, each as the variable that tells it where. */
  calls: Partial<Record<StackServiceName, string>>;
  /** Whether it keeps state under DATA_DIR (the embedded store, event log, offsets). */
  usesDataDir: boolean;
}

const VARIABLES: Record<StackServiceName, ServiceVariables> = {
  embedder: { port: 'EMBEDDER_PORT', metricsPort: 'METRICS_PORT', host: 'EMBEDDER_HOST', calls: {}, usesDataDir: false },
  search: { port: 'SEARCH_PORT', metricsPort: 'METRICS_PORT', host: 'SEARCH_HOST', calls: {}, usesDataDir: true },
  'query-api': {
    port: 'QUERY_API_PORT',
    host: 'QUERY_API_HOST',
    calls: { embedder: 'EMBEDDER_ADDR', search: 'SEARCH_ADDR', ingestion: 'INGESTION_URL' },
    usesDataDir: true,
  },
  ingestion: { port: 'INGESTION_PORT', host: 'INGESTION_HOST', calls: { embedder: 'EMBEDDER_ADDR', search: 'SEARCH_ADDR' }, usesDataDir: true },
};

export const LOOPBACK = '127.0.0.1';

export function isStackServiceName(value: string): value is StackServiceName {
  return (STACK_SERVICES as readonly string[]).includes(value);
}

export function usesDataDir(name: StackServiceName): boolean {
  return VARIABLES[name].usesDataDir;
}

/** Whether the service has a metrics port of its own besides its main port. */
export function hasMetricsPort(name: StackServiceName): boolean {
  return VARIABLES[name].metricsPort !== undefined;
}

/** The ports a service needs: the ones given, the rest from `pickFreePort`. */
export async function assignPorts(name: StackServiceName, given: Partial<ServicePorts>, pickFreePort: () => Promise<number>): Promise<ServicePorts> {
  const port = given.port ?? (await pickFreePort());
  if (!hasMetricsPort(name)) {
    if (given.metricsPort !== undefined)
      throw new Error(`${name} has no metrics port of its own (it serves /metrics on its HTTP port); drop ports.metricsPort`);
    return { port };
  }
  return { port, metricsPort: given.metricsPort ?? (await pickFreePort()) };
}

/** How other services reach this one: `host:port` for gRPC, an `http://` URL for HTTP. */
export function addressOf(name: StackServiceName, ports: ServicePorts): string {
  return name === 'embedder' || name === 'search' ? `${LOOPBACK}:${ports.port}` : `http://${LOOPBACK}:${ports.port}`;
}

export interface ServiceEnvironmentInput {
  ports: ServicePorts;
  /** DATA_DIR; required by the services that keep state (every one but the embedder). */
  dataDir?: string;
  /** Addresses of the services this one calls, by name (`addressOf`); the ones it does not call are ignored. */
  peers?: Partial<Record<StackServiceName, string>>;
  /** The caller's settings; they may not set the port variables (use `ports`). */
  env?: EnvSettings;
  /** LOG_LEVEL when no setting names one. */
  defaultLogLevel?: string;
}

/**
 * The environment of a service process, lowest precedence first: the harness's defaults
 * (loopback, CPU, LOG_LEVEL), the wiring (DATA_DIR, the peers' addresses), the caller's settings,
 * then the ports. A caller's setting for a port variable is refused, since the harness would
 * then wait on, and tell the other services, a port the service does not listen on.
 */
export function serviceEnvironment(name: StackServiceName, input: ServiceEnvironmentInput): EnvSettings {
  const variables = VARIABLES[name];
  const portVariables = [variables.port, variables.metricsPort].filter((variable): variable is string => variable !== undefined);
  const problems: string[] = [];
  const settings = input.env ?? {};
  for (const variable of portVariables)
    if (variable in settings) problems.push(`${variable} is set by the harness (pass ports.${variable === variables.port ? 'port' : 'metricsPort'} instead)`);
  if (variables.usesDataDir && !input.dataDir && !settings.DATA_DIR)
    problems.push(`DATA_DIR: ${name} keeps state there; pass dataDir (a temporary directory) so it does not write into ./data`);
  if (hasMetricsPort(name) && input.ports.metricsPort === undefined) problems.push(`${variables.metricsPort} for ${name}: ports.metricsPort is missing`);
  if (problems.length > 0) throw new Error(`cannot start ${name}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);

  const defaults: EnvSettings = { [variables.host]: LOOPBACK, LOG_LEVEL: input.defaultLogLevel ?? 'warn' };
  // The bundled model on the CPU: tests and benchmarks run where there may be no GPU.
  if (name === 'embedder') defaults.EXECUTION_PROVIDERS = 'cpu';
  const wiring: EnvSettings = {};
  if (input.dataDir && variables.usesDataDir) wiring.DATA_DIR = input.dataDir;
  for (const [peer, variable] of Object.entries(variables.calls) as [StackServiceName, string][]) {
    const address = input.peers?.[peer];
    if (address !== undefined) wiring[variable] = address;
  }
  const ports: EnvSettings = { [variables.port]: input.ports.port };
  if (variables.metricsPort) ports[variables.metricsPort] = input.ports.metricsPort;
  return { ...defaults, ...wiring, ...settings, ...ports };
}

/** The services of `names` in start waves (a wave starts once the one before it is ready). */
export function startWaves(names: readonly StackServiceName[]): StackServiceName[][] {
  const wanted = new Set(names);
  // The query API serves the catalog images ingestion fetches, so it is up before ingestion.
  return [['embedder', 'search'], ['query-api'], ['ingestion']]
    .map((wave) => (wave as StackServiceName[]).filter((name) => wanted.has(name)))
    .filter((wave) => wave.length > 0);
}

/** The reverse of `startWaves`: ingestion stops consuming before the services it calls go away. */
export function stopWaves(names: readonly StackServiceName[]): StackServiceName[][] {
  return startWaves(names).reverse();
}
