/** Runs the search service from the environment until SIGTERM or SIGINT, then stops gracefully and exits 0. */
import 'reflect-metadata';
import { createLogger } from '@vsearch/observability';
import { startSearchService } from './index';

const logger = createLogger('search');

startSearchService({}, logger).then(
  (service) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      service.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  },
  (error: unknown) => {
    logger.fatal({ err: error }, 'search failed to start');
    process.exit(1);
  },
);
