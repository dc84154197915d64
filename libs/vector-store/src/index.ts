/**
 * The vector store: the port the search service depends on, its shared
 * vocabulary and rules (validation, versions, names), and its adapters
 * (Qdrant for clusters, the embedded engine for one machine).
 */
export * from './types';
export * from './errors';
export * from './vector-store.port';
export * from './versioning';
export * from './naming';
export * from './validation';
export { EmbeddedVectorStore, type EmbeddedVectorStoreOptions } from './embedded/embedded.vector-store';
export { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant/qdrant.vector-store';
export type { EmbeddedIndexOptions } from './embedded/embedded-collection';
