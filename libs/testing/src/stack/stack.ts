/**
 * Several services as child processes wired to each other, as the Helm chart runs them: every
 * service of the stack gets its ports up front, so each one is told where the others listen
 * before they start (the query API learns INGESTION_URL before ingestion is up); they start in
 * dependency order, each wave once the one before is ready, and stop in reverse order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, type EnvSettings } from '../processes';
import { startService, type RunningService } from './service';
import { addressOf, assignPorts, STACK_SERVICES, startWaves, stopWaves, type ServicePorts, type StackServiceName } from './service-environment';

export interface StartStackOptions {
  /** The services to start now; the others of the stack can be started later with `stack.start(name)`. */
  services: readonly StackServiceName[];
  /** Settings for every service (over the harness's defaults and the wiring). */
  env?: EnvSettings;
  /** Settings for one service, over `env`: an EMBEDDER_ADDR here points that service elsewhere. */
  serviceEnv?: Partial<Record<StackServiceName, EnvSettings>>;
  /** Ports to bind instead of free ones. */
  ports?: Partial<Record<StackServiceName, Partial<ServicePorts>>>;
  /** The DATA_DIR they share (the embedded store, event log and offsets); default: a temporary directory that `stop()` removes. */
  dataDir?: string;
  readyTimeoutMs?: number;
}

export interface RunningStack {
  dataDir: string;
  /** Where each service of the stack listens (`addressOf`), started or not. */
  addresses: Readonly<Record<StackServiceName, string>>;
  /** A started service; throws for one that was not started. */
  service(name: StackServiceName): RunningService;
  /** The services started so far, in the order they started. */
  started(): RunningService[];
  /** Starts one more service of the stack, wired to the others, once it is ready. */
  start(name: StackServiceName): Promise<RunningService>;
  /** Stops every service in reverse dependency order (SIGTERM, SIGKILL after the grace period); safe to call twice. */
  stop(): Promise<void>;
}

export async function startStack(options: StartStackOptions): Promise<RunningStack> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'vsearch-stack-'));
  const ports = {} as Record<StackServiceName, ServicePorts>;
  for (const name of STACK_SERVICES) ports[name] = await assignPorts(name, options.ports?.[name] ?? {}, freePort);
  const addresses = Object.fromEntries(STACK_SERVICES.map((name) => [name, addressOf(name, ports[name])])) as Record<StackServiceName, string>;
  const running = new Map<StackServiceName, RunningService>();

  const start = async (name: StackServiceName): Promise<RunningService> => {
    if (running.has(name)) throw new Error(`${name} already runs in this stack`);
    const service = await startService(name, {
      ports: ports[name],
      dataDir,
      peers: addresses,
      env: { ...options.env, ...options.serviceEnv?.[name] },
      readyTimeoutMs: options.readyTimeoutMs,
    });
    running.set(name, service);
    return service;
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const wave of stopWaves([...running.keys()])) await Promise.all(wave.map((name) => running.get(name)!.stop()));
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    })());

  const stack: RunningStack = {
    dataDir,
    addresses,
    service(name) {
      const service = running.get(name);
      if (!service) throw new Error(`${name} was not started in this stack (started: ${[...running.keys()].join(', ') || 'none'})`);
      return service;
    },
    started: () => [...running.values()],
    start,
    stop,
  };

  try {
    for (const wave of startWaves(options.services)) {
      // Settled, not raced: a service still starting when another fails must be running (and stoppable) before the stack gives up.
      const results = await Promise.allSettled(wave.map((name) => start(name)));
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (error) {
    // The failed service's error carries its own output; the others' often shows the cause (a dependency that is not up).
    const others = [...running.values()].map((service) => `--- ${service.name} ---\n${service.logs().slice(-2_000)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}${others ? `\nthe other services' output:\n${others}` : ''}`);
  }
  return stack;
}
