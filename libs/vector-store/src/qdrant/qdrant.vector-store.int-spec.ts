/**
 * The conformance suite against a real Qdrant server, whenever QDRANT_URL
 * points at one (no Qdrant server can run on the CI machines; there the
 * contract check in qdrant-contract.int-spec.ts covers the adapter).
 * real: Qdrant at QDRANT_URL (use a disposable server: the suite creates and drops products_v{n} collections).
 * mock: nothing.
 */
import { describeVectorStoreConformance } from '../conformance/vector-store.conformance';
import { QdrantVectorStore } from './qdrant.vector-store';

const url = process.env.QDRANT_URL;

if (url) {
  describeVectorStoreConformance(`qdrant at ${url}`, {
    freshStore: false,
    createStore: () => new QdrantVectorStore({ url, apiKey: process.env.QDRANT_API_KEY, retries: 2 }),
  });
} else {
  // Written to stderr directly: jest does not print console output of a suite whose tests are all skipped.
  process.stderr.write('QDRANT_URL is not set: the conformance run against a real Qdrant server is skipped (the embedded run and the Qdrant contract check still run).\n');
  describe.skip('VectorStore conformance: qdrant (needs QDRANT_URL)', () => {
    it('runs only against a Qdrant server', () => undefined);
  });
}
