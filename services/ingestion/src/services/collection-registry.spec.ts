import { createLogger } from '@vsearch/observability';
import type { CollectionInfo } from '@vsearch/contracts';
import { PRODUCTS_ALIAS } from '../ports';
import { FAKE_MODEL, FakeProductIndex } from '../testing/fakes';
import { CollectionRegistry, FIRST_GENERATION, NO_ALIAS_NAMED_COLLECTIONS, computeTargets } from './collection-registry';

const logger = createLogger('ingestion-test', 'silent');

const collection = (name: string, aliases: string[] = [], modelId = FAKE_MODEL.modelId): CollectionInfo => ({
  name,
  modelId,
  dimension: FAKE_MODEL.dimension,
  aliases,
  productCount: 0,
  pointCount: 0,
});

describe('computeTargets', () => {
  it('writes to the alias when its collection holds the embedder model', () => {
    expect(computeTargets([collection('products_v1', [PRODUCTS_ALIAS])], FAKE_MODEL, new Set()).targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('also writes to a newer unaliased generation of the same model (a reindex in progress)', () => {
    const state = computeTargets([collection('products_v1', [PRODUCTS_ALIAS]), collection('products_v2')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual([PRODUCTS_ALIAS, 'products_v2']);
  });

  it('ignores older leftovers and generations of another model', () => {
    const state = computeTargets(
      [collection('products_v3', [PRODUCTS_ALIAS]), collection('products_v2'), collection('products_v4', [], 'other@1')],
      FAKE_MODEL,
      new Set(),
    );
    expect(state.targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('refuses to write when the aliased collection holds another model, naming both', () => {
    const state = computeTargets([collection('products_v1', [PRODUCTS_ALIAS], 'old-model@1')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual([]);
    expect(state.problem).toContain('old-model@1');
    expect(state.problem).toContain(FAKE_MODEL.modelId);
  });

  it('writes only to the new generation while a model-switching reindex fills it', () => {
    const state = computeTargets([collection('products_v1', [PRODUCTS_ALIAS], 'old-model@1'), collection('products_v2')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual(['products_v2']);
  });

  it('writes nowhere while no collection is behind the alias, naming the collections that exist', () => {
    const state = computeTargets([collection('products_v1'), collection('products_v2')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual([]);
    expect(state.problem).toMatch(/no collection is behind the alias "products" but 2 collections exist: products_v1 .*, products_v2 .*does not guess/);
    expect(state.problem).not.toMatch(/more/);
  });

  it('names only the first few collections and counts the rest when many exist without the alias', () => {
    const leftovers = Array.from({ length: 70 }, (_, i) => collection(`products_v${i + 1}`));
    const state = computeTargets(leftovers, FAKE_MODEL, new Set());
    expect(state.targets).toEqual([]);
    expect(state.problem).toMatch(/but 70 collections exist: products_v1 .*, products_v5 \([^)]*\) and 65 more; /);
    expect(state.problem?.match(/products_v\d+/g)).toEqual(Array.from({ length: NO_ALIAS_NAMED_COLLECTIONS }, (_, i) => `products_v${i + 1}`));
  });
});

/**
 * A FakeProductIndex whose next `listCollections` answers are held until `release()`: the answer
 * is read, then delivered late, as when two replicas' first reads cross in flight.
 */
class CrossingIndex extends FakeProductIndex {
  heldLists = 0;
  private readonly waiting: Array<() => void> = [];

  override async listCollections(): Promise<CollectionInfo[]> {
    const answer = await super.listCollections();
    if (this.heldLists > 0) {
      this.heldLists--;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return answer;
  }

  async held(count: number): Promise<void> {
    while (this.waiting.length < count) await new Promise((resolve) => setImmediate(resolve));
  }

  release(): void {
    for (const resume of this.waiting.splice(0)) resume();
  }
}

describe(CollectionRegistry.name, () => {
  it('converges when two replicas start together on an empty store: one collection behind the alias, no orphan', async () => {
    const index = new CrossingIndex();
    const [first, second] = [new CollectionRegistry(index, logger), new CollectionRegistry(index, logger)];
    index.heldLists = 2;
    const starting = Promise.all([first.bootstrap(FAKE_MODEL), second.bootstrap(FAKE_MODEL)]);
    // Both replicas have read an empty store before either created anything.
    await index.held(2);
    index.release();
    await starting;
    expect([...index.collections.keys()]).toEqual([FIRST_GENERATION]);
    expect(index.aliases.get(PRODUCTS_ALIAS)).toBe(FIRST_GENERATION);
    expect(first.current.targets).toEqual([PRODUCTS_ALIAS]);
    expect(second.current.targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('leaves the alias and the writes made through it alone when a slower replica read the empty store before', async () => {
    const index = new CrossingIndex();
    const slow = new CollectionRegistry(index, logger);
    index.heldLists = 1;
    const slowStart = slow.bootstrap(FAKE_MODEL);
    await index.held(1);
    // Meanwhile the other replica bootstraps and indexes a product through the alias.
    await new CollectionRegistry(index, logger).bootstrap(FAKE_MODEL);
    await index.upsertProducts(
      PRODUCTS_ALIAS,
      [
        {
          product: {
            productId: 'p',
            version: 1,
            title: 'p',
            description: '',
            brand: '',
            categories: ['c'],
            price: { amount: 1, currency: 'EUR' },
            inStock: true,
            attributes: {},
          },
          images: [],
        },
      ],
      FAKE_MODEL.modelId,
    );
    index.release();
    await slowStart;
    expect([...index.collections.keys()]).toEqual([FIRST_GENERATION]);
    expect(index.aliases.get(PRODUCTS_ALIAS)).toBe(FIRST_GENERATION);
    expect(index.products(PRODUCTS_ALIAS).has('p')).toBe(true);
    expect(slow.current.targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('points the alias at the first generation another replica created but had not aliased yet', async () => {
    const index = new FakeProductIndex();
    await index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension, FIRST_GENERATION);
    const state = await new CollectionRegistry(index, logger).bootstrap(FAKE_MODEL);
    expect([...index.collections.keys()]).toEqual([FIRST_GENERATION]);
    expect(index.aliases.get(PRODUCTS_ALIAS)).toBe(FIRST_GENERATION);
    expect(state.targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('does not alias a first generation of another model', async () => {
    const index = new FakeProductIndex();
    await index.createCollection('other-model@1', FAKE_MODEL.dimension, FIRST_GENERATION);
    const state = await new CollectionRegistry(index, logger).bootstrap(FAKE_MODEL);
    expect(index.aliases.size).toBe(0);
    expect(state.targets).toEqual([]);
    expect(state.problem).toContain(`${FIRST_GENERATION} (other-model@1`);
  });

  it('creates nothing and reports the collections when some exist but none is behind the alias', async () => {
    const index = new FakeProductIndex();
    await index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension);
    await index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension);
    const state = await new CollectionRegistry(index, logger).bootstrap(FAKE_MODEL);
    expect([...index.collections.keys()]).toEqual(['products_v1', 'products_v2']);
    expect(index.aliases.size).toBe(0);
    expect(state.targets).toEqual([]);
    expect(state.problem).toMatch(/products_v1 .*products_v2/);
  });
});
