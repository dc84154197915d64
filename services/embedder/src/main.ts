/** Runs the embedder, draining queued batches, from the environment until SIGTERM or SIGINT, then exits 0. */
import { createLogger } from '@vsearch/observability';
import { runService } from '@vsearch/service-runtime';
import { startEmbedderService } from './index';

const logger = createLogger('embedder');

void runService('embedder', logger, () => startEmbedderService({}, logger));
