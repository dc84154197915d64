/**
 * The process lifecycle every service's `main.ts` shares: start from the
 * environment, log a fatal start failure and exit 1, and on the first SIGTERM
 * or SIGINT close gracefully (each service drains in its own `close()`) and
 * exit 0, or 1 when closing fails. A second signal while closing is ignored,
 * so Kubernetes' SIGTERM followed by an impatient Ctrl-C cannot cut a drain short.
 * Traces start before the service (exported when OTEL_EXPORTER_OTLP_ENDPOINT is set) and are
 * flushed after it closes.
 */
import { startTracing, type Logger, type Tracing } from '@vsearch/observability';

export interface ClosableService {
  close(): Promise<void>;
}

export interface ProcessHooks {
  onSignal(signal: NodeJS.Signals, listener: () => void): void;
  exit(code: number): void;
}

const realProcess: ProcessHooks = {
  onSignal: (signal, listener) => process.once(signal, listener),
  exit: (code) => process.exit(code),
};

export async function runService(name: string, logger: Logger, start: () => Promise<ClosableService>, hooks: ProcessHooks = realProcess): Promise<void> {
  let tracing: Tracing | undefined;
  let service: ClosableService;
  try {
    tracing = startTracing(name);
    service = await start();
  } catch (error) {
    logger.fatal({ err: error }, `${name} failed to start`);
    await tracing?.shutdown().catch(() => undefined);
    hooks.exit(1);
    return;
  }
  const started = tracing;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.close().then(
      // A failed final export (collector down; bounded by OTEL_EXPORTER_OTLP_TIMEOUT) does not change the exit code.
      () =>
        started.shutdown().then(
          () => hooks.exit(0),
          () => hooks.exit(0),
        ),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        hooks.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) hooks.onSignal(signal, () => stop(signal));
}
