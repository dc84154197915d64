/**
 * The conformance suite (hybrid search included) against a real Qdrant server, whenever
 * QDRANT_URL points at one (no Qdrant server can run on the CI machines; there the contract
 * check in qdrant-contract.int-spec.ts covers the adapter).
 * real: Qdrant at QDRANT_URL (QDRANT_API_KEY if it needs one).
 * mock: nothing.
 *
 * The suite keeps to collections and aliases of a prefix of its own (one per run), so it never
 * sees or touches another deployment's generations on a shared server, and drops everything
 * under that prefix afterwards, even when tests failed.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { describeVectorStoreConformance } from '../conformance/vector-store.conformance';
import { QdrantVectorStore } from './qdrant.vector-store';

const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY;
const prefix = `vsearch_it_${Date.now().toString(36)}_${process.pid}_`;

/** Drops every alias, then every collection, stored under the run's prefix. */
async function dropEverythingUnderPrefix(server: string): Promise<void> {
  const client = new QdrantClient({ url: server, apiKey, checkCompatibility: false });
  const { aliases } = await client.getAliases();
  const ours = aliases.filter((alias) => alias.alias_name.startsWith(prefix));
  if (ours.length > 0) await client.updateCollectionAliases({ actions: ours.map((alias) => ({ delete_alias: { alias_name: alias.alias_name } })) });
  const { collections } = await client.getCollections();
  for (const collection of collections.filter((entry) => entry.name.startsWith(prefix))) await client.deleteCollection(collection.name);
  const left = (await client.getCollections()).collections.filter((entry) => entry.name.startsWith(prefix));
  if (left.length > 0) throw new Error(`collections left behind on ${server}: ${left.map((entry) => entry.name).join(', ')}`);
}

if (url) {
  afterAll(() => dropEverythingUnderPrefix(url));

  describeVectorStoreConformance(`qdrant at ${url} (prefix ${prefix})`, {
    freshStore: false,
    sharedBackend: true,
    createStore: () => new QdrantVectorStore({ url, apiKey, retries: 2, collectionPrefix: prefix }),
  });
} else {
  // Written to stderr directly: jest does not print console output of a suite whose tests are all skipped.
  process.stderr.write(
    'QDRANT_URL is not set: the conformance run against a real Qdrant server is skipped (the embedded run and the Qdrant contract check still run).\n',
  );
  describe.skip('VectorStore conformance: qdrant (needs QDRANT_URL)', () => {
    it('runs only against a Qdrant server', () => undefined);
  });
}
