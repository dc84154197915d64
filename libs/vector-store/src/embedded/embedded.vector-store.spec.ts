/** The conformance suite against the in-memory configuration of the embedded store (no disk). */
import { createInMemoryVectorStore, describeVectorStoreConformance } from '../testing';

describeVectorStoreConformance('embedded (in memory)', { freshStore: true, createStore: () => createInMemoryVectorStore() });
