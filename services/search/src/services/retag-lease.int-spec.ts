/**
 * The re-tag's durable progress and lease across search replicas (TaggingService over one store).
 * real: TaggingService, the Qdrant adapter and client over HTTP (two adapter instances, one per
 * replica, over one server), the embedded store on disk across a restart, the tagger.
 * fake: the Qdrant server (FakeQdrantServer; no Qdrant can run here). A stalled replica is the real
 * adapter whose tag write waits at a gate the test opens, as a replica hung mid-page does; lease
 * expiry is a replica clock set past the lease, never a wait.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LabelVector, ProductWithImageVectors, TaggingInput } from '@vsearch/contracts';
import { createLogger } from '@vsearch/observability';
import { EmbeddedVectorStore, QdrantVectorStore, type VectorStore } from '@vsearch/vector-store';
import { FakeQdrantServer, productData } from '@vsearch/vector-store/testing';
import { Registry } from 'prom-client';
import { SearchMetrics } from '../metrics/search.metrics';
import { TaggingService, type TaggingOptions } from './tagging.service';

const MODEL = 'clip-mini@test';
const DIMENSION = 4;
const PRODUCTS = 10;
/** Pages of 4: pages hold products 1-4, 5-8, 9-10. */
const PAGE = 4;
const LEASE_MS = 60_000;

const axis = (index: number) => Float32Array.from({ length: DIMENSION }, (_, i) => (i === index ? 1 : 0));

function taggingInput(labels: [string, string]): TaggingInput {
  const labelVectors: LabelVector[] = labels.map((label, i) => ({ attribute: 'pattern', label, vector: axis(i) }));
  return {
    taxonomy: { attributes: [{ name: 'pattern', mode: 'single', threshold: 0.6, labels: labels.map((label) => ({ label })) }] },
    modelId: MODEL,
    logitScale: 100,
    labelVectors,
  };
}

function item(index: number): ProductWithImageVectors {
  const productId = `p${String(index).padStart(2, '0')}`;
  return { product: productData(productId), images: [{ imageId: 'main', imageUrl: `http://img.test/${productId}.jpg`, vector: axis(index % 2) }] };
}

/** A gate before a store's n-th tag write (a replica hung mid-page), and the cursor each re-tag page scan started from. */
class Stall {
  atTagWrite = Infinity;
  readonly scanCursors: Array<string | undefined> = [];
  private tagWrites = 0;
  private openGate: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));
  private markStalled: () => void = () => undefined;
  /** Resolves once a tag write waits at the gate. */
  readonly reached = new Promise<void>((resolve) => (this.markStalled = resolve));

  release(): void {
    this.openGate();
  }

  async beforeTagWrite(): Promise<void> {
    if (++this.tagWrites !== this.atTagWrite) return;
    this.markStalled();
    await this.gate;
  }

  beforeScan(page: Parameters<VectorStore['scanProducts']>[1]): void {
    if (page.withVectors) this.scanCursors.push(page.cursor);
  }
}

/** The store with `stall` in front of its tag writes and re-tag scans (the real adapter's methods run behind it). */
function stalling<T extends VectorStore>(store: T): T & { stall: Stall } {
  const stall = new Stall();
  const setProductTags = store.setProductTags.bind(store);
  const scanProducts = store.scanProducts.bind(store);
  store.setProductTags = async (...args) => {
    await stall.beforeTagWrite();
    return setProductTags(...args);
  };
  store.scanProducts = async (...args) => {
    stall.beforeScan(args[1]);
    return scanProducts(...args);
  };
  return Object.assign(store, { stall });
}

interface Replica {
  service: TaggingService;
  metrics: SearchMetrics;
}

function replica(store: VectorStore, replicaId: string, options: TaggingOptions = {}): Replica {
  const metrics = new SearchMetrics(new Registry(), store);
  const service = new TaggingService(store, metrics, createLogger('search-test', 'silent'), {
    replicaId,
    leaseMs: LEASE_MS,
    retagPageSize: PAGE,
    ...options,
  });
  return { service, metrics };
}

/** Products whose tags this replica's re-tag wrote. */
async function retagged({ metrics }: Replica): Promise<number> {
  return (await metrics.productsTagged.get()).values.find((value) => value.labels.source === 'retag')?.value ?? 0;
}

async function tagsVersions(store: VectorStore): Promise<number[]> {
  const page = await store.scanProducts('products', { limit: 100, withVectors: false });
  return page.products.map((product) => product.tagsVersion);
}

async function catalog(store: VectorStore): Promise<void> {
  await store.swapAlias('products', await store.createGeneration(MODEL, DIMENSION));
  await store.upsertProducts(
    'products',
    Array.from({ length: PRODUCTS }, (_, i) => item(i + 1)),
    { modelId: MODEL },
  );
}

describe('re-tag lease across two search replicas over one Qdrant', () => {
  const qdrant = new FakeQdrantServer();
  let prefixes = 0;
  let stores: Array<QdrantVectorStore & { stall: Stall }> = [];
  let replicas: Replica[] = [];

  beforeAll(() => qdrant.start());
  afterAll(() => qdrant.stop());

  /** Two adapter instances over one fresh prefix of the server, as two search pods see one Qdrant. */
  const twoStores = async () => {
    const collectionPrefix = `retag${++prefixes}_`;
    stores = [0, 1].map(() => stalling(new QdrantVectorStore({ url: qdrant.url, retries: 0, collectionPrefix })));
    for (const store of stores) await store.open();
    await catalog(stores[0]);
    return [stores[0], stores[1]] as const;
  };

  afterEach(async () => {
    for (const store of stores) store.stall.release();
    for (const { service } of replicas) await service.close();
    for (const store of stores) await store.close();
    replicas = [];
  });

  it('lets one replica re-tag while the other reports its progress, and hands the run over from its cursor once the lease expired', async () => {
    const [storeA, storeB] = await twoStores();
    storeA.stall.atTagWrite = 2;
    let clockOffsetMs = 0;
    const a = replica(storeA, 'replica-a');
    const b = replica(storeB, 'replica-b', { clock: () => new Date(Date.now() + clockOffsetMs) });
    replicas = [a, b];
    await a.service.open();
    await b.service.open();

    expect(await a.service.put('products', taggingInput(['striped', 'plain']))).toEqual({ taxonomyVersion: 1, queued: false });
    await storeA.stall.reached; // page 1 is tagged and recorded; A hangs writing page 2's tags
    const held = await storeB.readRetagProgress();
    expect(held).toMatchObject({ owner: 'replica-a', taxonomyVersion: 1, state: 'tagging', productsTagged: PAGE, productsTotal: PRODUCTS });
    expect(held?.cursor).toEqual(expect.any(String));

    // B's periodic check while A's lease is live: B leaves the re-tag alone and reports A's progress
    await b.service.checkStored();
    await b.service.idle();
    expect(await retagged(b)).toBe(0);
    expect(await storeB.readRetagProgress()).toMatchObject({ owner: 'replica-a', productsTagged: PAGE, cursor: held?.cursor });
    const statusB = await b.service.describe();
    expect(statusB).toMatchObject({ state: 'tagging', productsTagged: PAGE, productsTotal: PRODUCTS, taxonomy: { version: 1 }, modelId: MODEL });
    expect(await a.service.describe()).toEqual(statusB);

    // A's lease expired by B's clock: B takes the run over from A's cursor, not from the first page
    clockOffsetMs = 2 * LEASE_MS;
    await b.service.checkStored();
    await b.service.idle();
    expect(storeB.stall.scanCursors).toEqual([held?.cursor, expect.any(String)]);
    expect(await storeB.readRetagProgress()).toMatchObject({ owner: 'replica-b', state: 'done', productsTagged: PRODUCTS, productsTotal: PRODUCTS });
    expect(await b.service.describe()).toMatchObject({ state: 'done', productsTagged: PRODUCTS, productsTotal: PRODUCTS });
    expect(await tagsVersions(storeB)).toEqual(Array(PRODUCTS).fill(1));

    // A wakes up: its next progress write finds the lease lost, and it stops without scanning on
    storeA.stall.release();
    await a.service.idle();
    expect(storeA.stall.scanCursors).toHaveLength(2);
    expect(await storeA.readRetagProgress()).toMatchObject({ owner: 'replica-b', state: 'done', productsTagged: PRODUCTS });
  });

  it('queues a taxonomy stored through the other replica while a re-tag runs; the holder re-tags the newer version next', async () => {
    const [storeA, storeB] = await twoStores();
    storeA.stall.atTagWrite = 2;
    const a = replica(storeA, 'replica-a');
    const b = replica(storeB, 'replica-b');
    replicas = [a, b];
    await a.service.open();
    await b.service.open();

    await a.service.put('products', taggingInput(['striped', 'plain']));
    await storeA.stall.reached;
    expect(await b.service.put('products', taggingInput(['dotted', 'plain']))).toEqual({ taxonomyVersion: 2, queued: true });
    expect(await b.service.describe()).toMatchObject({ taxonomy: { version: 2 }, state: 'tagging', productsTagged: PAGE, queuedVersion: 2 });

    storeA.stall.release();
    await a.service.idle();
    expect(await storeB.readRetagProgress()).toMatchObject({ owner: 'replica-a', taxonomyVersion: 2, state: 'done', productsTagged: PRODUCTS });
    const status = await b.service.describe();
    expect(status).toMatchObject({ taxonomy: { version: 2 }, state: 'done', productsTagged: PRODUCTS, productsTotal: PRODUCTS });
    expect(status.queuedVersion).toBeUndefined();
    expect(await tagsVersions(storeB)).toEqual(Array(PRODUCTS).fill(2));
    expect(await retagged(b)).toBe(0);
  });
});

describe('re-tag progress across a restart (embedded store on disk)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retag-restart-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('continues an interrupted re-tag from its recorded cursor and count after the service restarts', async () => {
    const first = stalling(new EmbeddedVectorStore({ dir, durable: false }));
    await first.open();
    await catalog(first);
    first.stall.atTagWrite = 2;
    const before = replica(first, 'first-process');
    await before.service.open();
    await before.service.put('products', taggingInput(['striped', 'plain']));
    await first.stall.reached;
    // a stop while page 2 is being written: the run ends after that page and hands its lease back
    const closing = before.service.close();
    first.stall.release();
    await closing;
    const recorded = await first.readRetagProgress();
    expect(recorded).toMatchObject({ state: 'tagging', productsTagged: 2 * PAGE, productsTotal: PRODUCTS });
    await first.close();

    const second = stalling(new EmbeddedVectorStore({ dir, durable: false }));
    await second.open();
    const after = replica(second, 'second-process');
    try {
      await after.service.open();
      await after.service.idle();
      expect(second.stall.scanCursors).toEqual([recorded?.cursor]);
      expect(await after.service.describe()).toMatchObject({ state: 'done', productsTagged: PRODUCTS, productsTotal: PRODUCTS, taxonomy: { version: 1 } });
      expect(await tagsVersions(second)).toEqual(Array(PRODUCTS).fill(1));
    } finally {
      await after.service.close();
      await second.close();
    }
  });
});
