/**
 * The whole product on one machine as `npm start` runs it (`vsearch start`: the four services in
 * one process, embedded event log and vector store, the sample catalog generated and indexed),
 * as a child process that is ready once it prints "vsearch is ready" (every event indexed).
 */
import { spawnCli, type CliProcess, type EnvSettings } from '../processes';

export const EMBEDDED_STACK_READY_LINE = 'vsearch is ready';

export interface StartEmbeddedStackOptions {
  /** Settings over this process's environment (DATA_DIR, QUERY_API_PORT, ADMIN_API_KEYS, ...). */
  env?: EnvSettings;
  /** Extra arguments of `vsearch start` (`--count N`, `--seed S`). */
  args?: string[];
  /** Also print its output. */
  echo?: boolean;
  /** Generating and indexing the sample catalog takes minutes on a small machine. Default 15 min. */
  readyTimeoutMs?: number;
}

export interface RunningEmbeddedStack {
  process: CliProcess;
  /** Ctrl-C (SIGINT), SIGKILL after `graceMs`; resolves with the exit code (0 after a clean stop). */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Settings for a one-process stack run beside other tests: its own DATA_DIR and the embedded event
 * log there (even where the environment names a Kafka cluster: the integration step starts one and
 * exports it), the query API on `queryApiPort`, search on `searchPort` when given, every other port
 * chosen by the system, error logs only.
 */
export function isolatedEmbeddedStackEnv(options: { dataDir: string; queryApiPort: number; searchPort?: number }): EnvSettings {
  return {
    DATA_DIR: options.dataDir,
    KAFKA_BROKERS: '',
    QUERY_API_PORT: options.queryApiPort,
    SEARCH_PORT: options.searchPort ?? 0,
    EMBEDDER_PORT: 0,
    INGESTION_PORT: 0,
    EMBEDDER_METRICS_PORT: 0,
    SEARCH_METRICS_PORT: 0,
    LOG_LEVEL: 'error',
  };
}

export async function startEmbeddedStack(options: StartEmbeddedStackOptions = {}): Promise<RunningEmbeddedStack> {
  const child = spawnCli(['start', ...(options.args ?? [])], { env: options.env, echo: options.echo });
  const stop = (graceMs = 45_000) => child.stop({ signal: 'SIGINT', graceMs });
  const timeoutMs = options.readyTimeoutMs ?? 15 * 60_000;
  const deadline = Date.now() + timeoutMs;
  while (!child.output().includes(EMBEDDED_STACK_READY_LINE)) {
    const problem = !child.isRunning()
      ? `exited with ${child.child.exitCode ?? child.child.signalCode}`
      : Date.now() >= deadline
        ? `did not print "${EMBEDDED_STACK_READY_LINE}" within ${timeoutMs} ms`
        : undefined;
    if (problem) {
      await child.kill();
      throw new Error(`vsearch start ${problem}; its output ends with:\n${child.output().slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { process: child, stop };
}
