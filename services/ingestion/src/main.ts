/** Runs ingestion, which stops consuming and disconnects, from the environment until SIGTERM or SIGINT, then exits 0. */
// First: UV_THREADPOOL_SIZE counts only if it is set before anything uses libuv's thread pool.
import './size-thread-pool';
import 'reflect-metadata';
import { createLogger } from '@vsearch/observability';
import { runService } from '@vsearch/service-runtime';
import { startIngestionService } from './index';

const logger = createLogger('ingestion');

void runService('ingestion', logger, () => startIngestionService({}, logger));
