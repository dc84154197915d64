/** Picks the vector-store adapter from configuration: Qdrant when QDRANT_URL is set, else the embedded store under DATA_DIR. */
import type { Logger } from '@vsearch/observability';
import { EmbeddedVectorStore, type VectorStore } from '@vsearch/vector-store';
import type { SearchConfig } from '../config';

export function createVectorStore(settings: SearchConfig['store'], logger: Logger): VectorStore {
  if (settings.kind === 'qdrant') {
    throw new Error('the Qdrant adapter is not wired yet');
  }
  logger.info({ dir: settings.dir, durable: settings.durable }, 'using the embedded vector store');
  return new EmbeddedVectorStore({
    dir: settings.dir,
    durable: settings.durable,
    index: { exactSearchBelow: settings.exactSearchBelow, nprobe: settings.nprobe },
  });
}
