/** Runs the query API, draining in-flight requests, from the environment until SIGTERM or SIGINT, then exits 0. */
// First: UV_THREADPOOL_SIZE counts only if it is set before anything uses libuv's thread pool.
import './size-thread-pool';
import 'reflect-metadata';
import { createLogger } from '@vsearch/observability';
import { runService } from '@vsearch/service-runtime';
import { startQueryApiService } from './index';

const logger = createLogger('query-api');

void runService('query-api', logger, () => startQueryApiService({}, logger));
