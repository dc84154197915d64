/**
 * Runs several services in this process, in dependency order (embedder and
 * search first, then the query API, which serves the catalog images ingestion
 * fetches, then ingestion), and stops them in reverse order: ingestion stops
 * consuming before the services it calls go away. A service that fails to
 * start stops the ones already running. One trace provider serves the process
 * (service name `vsearch` for several services, else the one service's name).
 */
import { createServer } from 'node:net';
import { startTracing } from '@vsearch/observability';
import { CliError } from '../cli/errors';
import { loadServiceStarter, type RunningService, type ServiceName } from './services';
import { LOOPBACK, overridesFor, stackEndpoints, type ExtraSettings, type StackAddresses, type StackWiring } from './wiring';

export interface StackOptions {
  services: readonly ServiceName[];
  wiring: StackWiring;
  environment: NodeJS.ProcessEnv;
  extra?: ExtraSettings;
  /** False: every service reads only the environment, exactly as its own main.ts does (one service per process). */
  wire?: boolean;
  /** One line per service started (to stderr, typically). */
  onServiceStarted?: (name: ServiceName, service: RunningService, elapsedMs: number) => void;
}

export interface RunningStack {
  services: ReadonlyMap<ServiceName, RunningService>;
  addresses: StackAddresses;
  /** The query API's port (the configured one when it reports none), when it runs here. */
  queryApiPort?: number;
  /** Stops every service, in reverse dependency order; safe to call twice. */
  close(): Promise<void>;
}

const START_WAVES: ServiceName[][] = [['embedder', 'search'], ['query-api'], ['ingestion']];
const STOP_WAVES: ServiceName[][] = [['ingestion'], ['query-api'], ['embedder', 'search']];

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const { environment } = options;
  const wanted = new Set(options.services);
  const tracing = startTracing(options.services.length === 1 ? options.services[0] : 'vsearch', environment);
  // The query API starts before ingestion and must know its URL: a "free port" (0) is chosen now.
  const wiring =
    wanted.has('ingestion') && options.wiring.ports.ingestion === 0
      ? { ...options.wiring, ports: { ...options.wiring.ports, ingestion: await freePort() } }
      : options.wiring;
  const running = new Map<ServiceName, RunningService>();
  const { embedderAddr, searchAddr, ingestionUrl } = stackEndpoints(environment, wiring);
  const addresses: StackAddresses = { embedderAddr, searchAddr, ingestionUrl };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const failures: string[] = [];
      for (const wave of STOP_WAVES) {
        await Promise.all(
          wave
            .filter((name) => running.has(name))
            .map(async (name) => {
              try {
                await running.get(name)?.close();
              } catch (error) {
                failures.push(`${name}: ${(error as Error).message}`);
              }
            }),
        );
      }
      await tracing.shutdown().catch(() => undefined);
      if (failures.length > 0) throw new CliError(`some services did not stop cleanly:\n  ${failures.join('\n  ')}`);
    })());

  try {
    for (const wave of START_WAVES) {
      await Promise.all(
        wave
          .filter((name) => wanted.has(name))
          .map(async (name) => {
            const started = performance.now();
            let service: RunningService;
            try {
              const start = await loadServiceStarter(name);
              service = await start(options.wire === false ? {} : overridesFor(name, wiring, addresses, environment, options.extra));
            } catch (error) {
              throw new CliError(`the ${name} service did not start: ${(error as Error).message}`);
            }
            running.set(name, service);
            // Ports chosen by the system (0) are only known now: later waves call the real ones.
            if (name === 'embedder' && service.port && !environment.EMBEDDER_ADDR) addresses.embedderAddr = `${LOOPBACK}:${service.port}`;
            if (name === 'search' && service.port && !environment.SEARCH_ADDR) addresses.searchAddr = `${LOOPBACK}:${service.port}`;
            options.onServiceStarted?.(name, service, performance.now() - started);
          }),
      );
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }

  const queryApi = running.get('query-api');
  return {
    services: running,
    addresses,
    queryApiPort: queryApi ? (queryApi.port ?? wiring.ports.queryApi) : undefined,
    close,
  };
}

/** A port nobody listens on right now (the system picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
