/** Runs the query API, draining in-flight requests, from the environment until SIGTERM or SIGINT, then exits 0. */
import 'reflect-metadata';
import { createLogger } from '@vsearch/observability';
import { runService } from '@vsearch/service-runtime';
import { startQueryApiService } from './index';

const logger = createLogger('query-api');

void runService('query-api', logger, () => startQueryApiService({}, logger));
