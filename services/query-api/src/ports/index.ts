export * from './request-context';
export * from './query-embedder.port';
export * from './product-search-index.port';
export * from './image-input.port';
export * from './reindex.port';

import type { QueryEmbedder } from './query-embedder.port';
import type { ProductSearchIndex } from './product-search-index.port';
import type { ImagePreprocessor, RemoteImageSource } from './image-input.port';
import type { ReindexProgressSource, ReindexRequestPublisher } from './reindex.port';

/** Every I/O boundary of the query API: real adapters in the service, fakes in unit tests. */
export interface QueryApiPorts {
  embedder: QueryEmbedder;
  searchIndex: ProductSearchIndex;
  remoteImages: RemoteImageSource;
  preprocessor: ImagePreprocessor;
  reindexPublisher: ReindexRequestPublisher;
  reindexProgress: ReindexProgressSource;
}
