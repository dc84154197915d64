/** Runs ingestion, which stops consuming and disconnects, from the environment until SIGTERM or SIGINT, then exits 0. */
import 'reflect-metadata';
import { createLogger } from '@vsearch/observability';
import { runService } from '@vsearch/service-runtime';
import { startIngestionService } from './index';

const logger = createLogger('ingestion');

void runService('ingestion', logger, () => startIngestionService({}, logger));
