/**
 * Test helpers for the vector store, never imported by production code: the
 * conformance suite every adapter runs, and an in-memory store for unit tests
 * of logic that sits on the port.
 */
import { EmbeddedVectorStore, type EmbeddedVectorStoreOptions } from './embedded/embedded.vector-store';

export { describeVectorStoreConformance, product as productData, type ConformanceOptions } from './conformance/vector-store.conformance';

/** The embedded engine without a data directory: same behaviour, nothing written to disk. */
export function createInMemoryVectorStore(options: Omit<EmbeddedVectorStoreOptions, 'dir'> = {}): EmbeddedVectorStore {
  return new EmbeddedVectorStore({ ...options, dir: undefined });
}
export { FakeQdrantServer, type RecordedRequest } from './conformance/fake-qdrant.server';
