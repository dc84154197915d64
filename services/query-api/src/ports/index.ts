export * from './request-context';
export * from './query-embedder.port';
export * from './product-search-index.port';
export * from './image-input.port';
export * from './reindex.port';
export * from './tagging-index.port';
export * from './label-text-embedder.port';
export * from './generations.port';
export * from './product-describer.port';

import type { QueryEmbedder } from './query-embedder.port';
import type { ProductSearchIndex } from './product-search-index.port';
import type { ImagePreprocessor, RemoteImageSource } from './image-input.port';
import type { ReindexProgressSource, ReindexRequestPublisher } from './reindex.port';
import type { TaggingIndex } from './tagging-index.port';
import type { LabelTextEmbedder } from './label-text-embedder.port';
import type { GenerationsSource, GoldenQueryStore } from './generations.port';
import type { ProductDescriber } from './product-describer.port';

/** Every I/O boundary of the query API: real adapters in the service, fakes in unit tests. */
export interface QueryApiPorts {
  embedder: QueryEmbedder;
  searchIndex: ProductSearchIndex;
  remoteImages: RemoteImageSource;
  preprocessor: ImagePreprocessor;
  reindexPublisher: ReindexRequestPublisher;
  reindexProgress: ReindexProgressSource;
  tagging: TaggingIndex;
  labelEmbedder: LabelTextEmbedder;
  generations: GenerationsSource;
  goldenQueries: GoldenQueryStore;
  describer: ProductDescriber;
}
