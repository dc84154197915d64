/** The conformance suite against the in-memory configuration of the embedded store (no disk), with both scan paths. */
import { createInMemoryVectorStore, describeVectorStoreConformance } from '../testing';

describeVectorStoreConformance('embedded (in memory, int8 SIMD scan)', { freshStore: true, createStore: () => createInMemoryVectorStore() });
describeVectorStoreConformance('embedded (in memory, float32 JavaScript scan)', {
  freshStore: true,
  createStore: () => createInMemoryVectorStore({ index: { quantized: false } }),
});
