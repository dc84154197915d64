/**
 * One service of this repository as a child process started through its public entry point,
 * `services/<name>/src/main.ts` run exactly as its container image runs it (the Dockerfile's CMD),
 * configured by the environment alone (as the Helm chart runs it). Not `vsearch serve <name>`:
 * that process also loads every CLI command, so a benchmark would measure a heavier process than
 * production runs. On
 * known ports, waited on until ready, its output kept for assertions and for failure messages,
 * stopped with SIGTERM (SIGKILL after a grace period), and restartable on the same ports.
 */
import { freePort, RUN_TS, spawnNodeScript, type CliProcess, type EnvSettings } from '../processes';
import { isReady } from './readiness';
import { addressOf, assignPorts, serviceEnvironment, type ServicePorts, type StackServiceName } from './service-environment';

export interface StartServiceOptions {
  /** Settings over this process's environment and the harness's defaults (loopback, CPU model, LOG_LEVEL=warn). */
  env?: EnvSettings;
  /** DATA_DIR; required for every service but the embedder. The caller owns the directory. */
  dataDir?: string;
  /** Ports to bind instead of free ones (a restart elsewhere on a known port, say). */
  ports?: Partial<ServicePorts>;
  /** Addresses of the services it calls (`addressOf`), wired into EMBEDDER_ADDR, SEARCH_ADDR, INGESTION_URL. */
  peers?: Partial<Record<StackServiceName, string>>;
  /** How long to wait for readiness; the model load of the embedder dominates. Default 120 s. */
  readyTimeoutMs?: number;
  /** Also print the service's output (debugging, benchmarks). */
  echo?: boolean;
}

export interface RunningService {
  readonly name: StackServiceName;
  readonly port: number;
  readonly metricsPort?: number;
  /** `127.0.0.1:port` for the gRPC services, `http://127.0.0.1:port` for the HTTP ones. */
  readonly address: string;
  readonly dataDir?: string;
  /** The process the service runs in (its own child process), for /proc figures. */
  readonly pid: number | undefined;
  /** Everything the service printed since it was first started (restarts included). */
  logs(): string;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (0 after a graceful stop). */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL: a crash, for tests of what survives one. */
  kill(): Promise<number | null>;
  /** Stops it if it runs, then starts it again on the same ports with the same settings, until ready. */
  restart(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 250;
const LOG_TAIL_CHARS = 3_000;

export async function startService(name: StackServiceName, options: StartServiceOptions = {}): Promise<RunningService> {
  const ports = await assignPorts(name, options.ports ?? {}, freePort);
  const env = serviceEnvironment(name, { ports, dataDir: options.dataDir, peers: options.peers, env: options.env, defaultLogLevel: process.env.LOG_LEVEL });
  const service = new ServiceProcess(name, ports, env, options);
  await service.start();
  return service;
}

class ServiceProcess implements RunningService {
  readonly address: string;
  private current: CliProcess | undefined;
  /** Output of the processes before a restart. */
  private earlierLogs = '';

  constructor(
    readonly name: StackServiceName,
    private readonly ports: ServicePorts,
    private readonly env: EnvSettings,
    private readonly options: StartServiceOptions,
  ) {
    this.address = addressOf(name, ports);
  }

  get port(): number {
    return this.ports.port;
  }

  get metricsPort(): number | undefined {
    return this.ports.metricsPort;
  }

  get dataDir(): string | undefined {
    return this.options.dataDir;
  }

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  logs(): string {
    return this.earlierLogs + (this.current?.output() ?? '');
  }

  isRunning(): boolean {
    return this.current?.isRunning() ?? false;
  }

  async start(): Promise<void> {
    const child = spawnNodeScript(RUN_TS, [`services/${this.name}/src/main.ts`], { env: this.env, echo: this.options.echo });
    this.current = child;
    try {
      await this.waitUntilReady(child);
    } catch (error) {
      await child.kill();
      throw error;
    }
  }

  async stop(graceMs = 10_000): Promise<number | null> {
    return (await this.current?.stop({ graceMs })) ?? null;
  }

  async kill(): Promise<number | null> {
    return (await this.current?.kill()) ?? null;
  }

  async restart(): Promise<void> {
    await this.stop();
    this.earlierLogs = `${this.logs()}\n--- ${this.name} restarted ---\n`;
    this.current = undefined;
    await this.start();
  }

  private async waitUntilReady(child: CliProcess): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    let lastAnswer = 'no answer yet';
    for (;;) {
      if (!child.isRunning())
        throw new Error(
          `${this.name} (services/${this.name}/src/main.ts) exited with ${child.child.exitCode ?? child.child.signalCode} before it was ready${this.logTail()}`,
        );
      try {
        if (await isReady(this.name, this.address)) return;
        lastAnswer = 'answered not ready';
      } catch (error) {
        lastAnswer = (error as Error).message;
      }
      if (Date.now() >= deadline)
        throw new Error(`${this.name} was not ready on ${this.address} within ${timeoutMs} ms (last probe: ${lastAnswer})${this.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  private logTail(): string {
    const logs = this.logs();
    return `; its output${logs.length > LOG_TAIL_CHARS ? ' ends with' : ''}:\n${logs.slice(-LOG_TAIL_CHARS) || '(nothing)'}`;
  }
}
