import type { Command } from 'commander';
import { CliError, UsageError } from '../cli/errors';
import { isServiceName, SERVICE_NAMES, type ServiceName } from '../stack/services';
import { waitForStopSignal, withTimeout } from '../stack/signals';
import { startStack } from '../stack/stack';
import { readStackWiring } from '../stack/wiring';

const STOP_TIMEOUT_MS = 30_000;

/**
 * `vsearch serve <all|embedder|search|ingestion|query-api>`: services configured
 * only by the environment, as the Helm chart runs them (one per process, with
 * KAFKA_BROKERS, QDRANT_URL, EMBEDDER_ADDR, SEARCH_ADDR pointing at real
 * backends), or all four in this process with embedded adapters.
 */
export function registerCommand(program: Command): void {
  program
    .command('serve')
    .description('start one service, or all four in this process, configured by the environment (as the Helm chart runs them)')
    .argument('<service>', `${['all', ...SERVICE_NAMES].join(' | ')}`)
    .addHelpText(
      'after',
      [
        '',
        'Configuration is read from the environment (each service validates its own at start-up):',
        '  KAFKA_BROKERS      Kafka bootstrap servers (unset: the embedded event log under DATA_DIR)',
        '  QDRANT_URL         Qdrant for the search service (unset: the embedded store under DATA_DIR)',
        '  EMBEDDER_ADDR      host:port of the embedder, for ingestion and query-api',
        '  SEARCH_ADDR        host:port of the search service, for ingestion and query-api',
        '  EMBEDDER_PORT, SEARCH_PORT, INGESTION_PORT, QUERY_API_PORT, METRICS_PORT, DATA_DIR, ...',
        'With `serve all`, the metrics ports are EMBEDDER_METRICS_PORT (9464) and SEARCH_METRICS_PORT (9465)',
        'instead of METRICS_PORT (ingestion and query-api serve /metrics on their HTTP ports).',
        '',
        'Examples:',
        '  $ KAFKA_BROKERS=kafka:9092 EMBEDDER_ADDR=embedder:50051 SEARCH_ADDR=search:50052 vsearch serve ingestion',
        '  $ vsearch serve all',
      ].join('\n'),
    )
    .action(async (target: string) => {
      if (target !== 'all' && !isServiceName(target))
        throw new UsageError(`unknown service ${JSON.stringify(target)}; expected one of all, ${SERVICE_NAMES.join(', ')}`);
      const services: ServiceName[] = target === 'all' ? [...SERVICE_NAMES] : [target];
      const stopSignal = waitForStopSignal();
      const environment = process.env;
      const stack = await startStack({
        services,
        wiring: readStackWiring(environment),
        environment,
        // One service alone reads the environment exactly as its main.ts does; all four get wired to each other.
        wire: target === 'all',
        extra: { catalogImagesDir: environment.CATALOG_IMAGES_DIR },
        onServiceStarted: (name, service, elapsedMs) =>
          process.stderr.write(`vsearch serve: ${name} started${service.port ? ` on port ${service.port}` : ''} in ${(elapsedMs / 1000).toFixed(1)} s\n`),
      });
      const signal = await stopSignal;
      process.stderr.write(`vsearch serve: ${signal}, stopping ${services.join(', ')}\n`);
      try {
        await withTimeout(stack.close(), STOP_TIMEOUT_MS, `services did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      process.stderr.write('vsearch serve: stopped\n');
    });
}
