/** Runs the search service, from the environment until SIGTERM or SIGINT, then exits 0. */
import { createLogger } from '@vsearch/observability';
import { runService } from '@vsearch/service-runtime';
import { startSearchService } from './index';

const logger = createLogger('search');

void runService('search', logger, () => startSearchService({}, logger));
