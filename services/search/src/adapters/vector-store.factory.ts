/** Picks the vector-store adapter from configuration: Qdrant when QDRANT_URL is set, else the embedded store under DATA_DIR. */
import type { Logger } from '@vsearch/observability';
import { EmbeddedVectorStore, QdrantVectorStore, type VectorStore } from '@vsearch/vector-store';
import type { SearchConfig } from '../config';

export function createVectorStore(settings: SearchConfig['store'], logger: Logger): VectorStore {
  if (settings.kind === 'qdrant') {
    const { qdrant } = settings;
    // The API key is passed to the client only; never logged.
    logger.info({ url: qdrant.url, hnsw: qdrant.hnsw, quantization: qdrant.quantization, apiKey: qdrant.apiKey ? 'set' : 'unset' }, 'using Qdrant');
    return new QdrantVectorStore({
      url: qdrant.url,
      apiKey: qdrant.apiKey,
      timeoutMs: qdrant.timeoutMs,
      retries: qdrant.retries,
      upsertBatch: qdrant.upsertBatch,
      hnsw: qdrant.hnsw,
      quantization: qdrant.quantization,
    });
  }
  logger.info({ dir: settings.dir, durable: settings.durable }, 'using the embedded vector store');
  return new EmbeddedVectorStore({
    dir: settings.dir,
    durable: settings.durable,
    index: { exactSearchBelow: settings.exactSearchBelow, nprobe: settings.nprobe, scanThreads: settings.scanThreads === 2 ? 2 : 1 },
  });
}
