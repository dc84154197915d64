/**
 * Qdrant contract check, for CI where no Qdrant server can run.
 * real: the Qdrant adapter and @qdrant/js-client-rest over HTTP, Qdrant's
 * own OpenAPI spec (v1.19.0, read from ../shared/reference/qdrant next to the
 * repository; never copied into it), ajv.
 * fake: the server (FakeQdrantServer records every request and answers like Qdrant).
 *
 * The whole conformance suite runs through the adapter against the fake, then
 * every recorded request body is validated against the request schema of its
 * path and method in the spec.
 */
import type Ajv from 'ajv';
import { describeVectorStoreConformance } from '../conformance/vector-store.conformance';
import { qdrantAjv, readQdrantSpec } from '../lexical/qdrant-openapi.test-support';
import { FakeQdrantServer } from '../conformance/fake-qdrant.server';
import { isVectorStoreError } from '../errors';
import type { ProductData } from '../types';
import { QdrantVectorStore } from './qdrant.vector-store';

/** Reads the spec (failing with where it looked) and builds an ajv instance holding it as JSON Schema under the id `qdrant`. */
function loadSpecValidator(): {
  ajv: Ajv;
  spec: { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: object }> } }>> };
} {
  const spec = readQdrantSpec() as unknown as ReturnType<typeof loadSpecValidator>['spec'];
  return { ajv: qdrantAjv(spec), spec };
}

const fake = new FakeQdrantServer();

beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** Every collection and alias of this suite is stored under it, so the run also checks that no request leaves the prefix. */
const PREFIX = 'contract_';

describeVectorStoreConformance('qdrant adapter against the recording fake', {
  freshStore: true,
  sharedBackend: true,
  createStore: () =>
    new QdrantVectorStore({ url: fake.url, retries: 0, hnsw: { m: 16, efConstruct: 100, ef: 64 }, quantization: 'int8', collectionPrefix: PREFIX }),
});

describe('Qdrant adapter keyword and hybrid search against the recording fake', () => {
  const DIMENSION = 2;
  const unit = (x: number, y: number) => new Float32Array([x, y]);
  const product = (productId: string, title: string, price: number, updatedAt?: string): ProductData => ({
    productId,
    version: 1,
    title,
    description: '',
    brand: 'acme',
    categories: ['shoes'],
    price: { amount: price, currency: 'EUR' },
    inStock: true,
    attributes: {},
    ...(updatedAt !== undefined ? { updatedAt } : {}),
  });
  let store: QdrantVectorStore;
  let collection: string;

  beforeAll(async () => {
    store = new QdrantVectorStore({ url: fake.url, retries: 0, collectionPrefix: PREFIX });
    await store.open();
    collection = await store.createGeneration('hybrid-model', DIMENSION);
    await store.upsertProducts(collection, [
      // Near the query vector, without its words.
      {
        product: product('near', 'plain canvas bag', 30, '2024-01-03T00:00:00Z'),
        images: [
          { imageId: 'a', imageUrl: 'u', vector: unit(1, 0) },
          { imageId: 'b', imageUrl: 'u', vector: unit(0.9, 0.1) },
        ],
      },
      // Far from it, with the words.
      { product: product('worded', 'red trail boot', 120, '2024-01-01T00:00:00Z'), images: [{ imageId: 'a', imageUrl: 'u', vector: unit(0, 1) }] },
      { product: product('both', 'red boot', 60, '2024-01-02T00:00:00Z'), images: [{ imageId: 'a', imageUrl: 'u', vector: unit(0.8, 0.6) }] },
    ]);
  });

  it('keeps a product whose words match below the vector threshold, and only vector matches above it', async () => {
    const page = await store.searchSimilar({ collection, vector: unit(1, 0), text: 'red boot', scoreThreshold: 0.7, limit: 10, withFacets: true });
    expect(page.hits.map((hit) => hit.product.productId).sort()).toEqual(['both', 'near', 'worded']);
    expect(page.hits[0].product.productId).toBe('both'); // in both rankings
    expect(page.hits.find((hit) => hit.product.productId === 'worded')).toMatchObject({ keywordScore: expect.any(Number) });
    expect(page.hits.find((hit) => hit.product.productId === 'worded')?.vectorScore).toBeUndefined();
    expect(page).toMatchObject({ total: 3, totalIsLowerBound: false });
    expect(page.facets?.priceBands).toEqual([
      { value: '25-50', count: 1 },
      { value: '50-100', count: 1 },
      { value: '100-200', count: 1 },
    ]);
    const cut = await store.searchSimilar({ collection, vector: unit(1, 0), text: 'velvet', scoreThreshold: 0.99, limit: 10, withFacets: true });
    expect(cut.hits.map((hit) => hit.product.productId)).toEqual(['near']);
    const nothing = await store.searchSimilar({ collection, vector: unit(-1, 0), text: 'velvet', scoreThreshold: 0.5, limit: 10, withFacets: true });
    expect(nothing).toMatchObject({ hits: [], total: 0, facets: { categories: [], brands: [], priceBands: [], stock: [] } });
  });

  it('ranks by the words alone in keyword mode, sorts the matched set by price or date, and pages it', async () => {
    const keyword = await store.searchSimilar({ collection, text: 'red boot', limit: 10 });
    expect(keyword.hits.map((hit) => hit.product.productId).sort()).toEqual(['both', 'worded']);
    expect(keyword.hits.every((hit) => hit.keywordScore === hit.score && hit.vectorScore === undefined)).toBe(true);
    const byPrice = await store.searchSimilar({
      collection,
      vector: unit(1, 0),
      text: 'red boot',
      scoreThreshold: 0.7,
      sort: 'price_desc',
      limit: 2,
      offset: 1,
    });
    expect(byPrice.hits.map((hit) => hit.product.productId)).toEqual(['both', 'near']);
    const newest = await store.searchSimilar({ collection, vector: unit(1, 0), text: 'boot', sort: 'newest', limit: 10 });
    expect(newest.hits.map((hit) => hit.product.productId)).toEqual(['near', 'both', 'worded']);
  });

  it('refuses keyword and hybrid search on a collection created without the text vector, and still searches its vectors', async () => {
    const legacy = `${PREFIX}products_v900`;
    const created = await fetch(`${fake.url}/collections/${legacy}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vectors: { image: { size: DIMENSION, distance: 'Cosine' } }, metadata: { modelId: 'hybrid-model', dimension: DIMENSION } }),
    });
    expect(created.status).toBe(200);
    expect(
      await store.upsertProducts('products_v900', [{ product: product('old', 'red boot', 10), images: [{ imageId: 'a', imageUrl: 'u', vector: unit(1, 0) }] }]),
    ).toEqual(['applied']);
    expect(await store.updateAttributes('products_v900', [{ ...product('old', 'blue boot', 10), version: 2 }])).toEqual(['applied']);
    const error = await store.searchSimilar({ collection: 'products_v900', vector: unit(1, 0), text: 'red boot', limit: 5 }).catch((caught: unknown) => caught);
    expect(isVectorStoreError(error, 'failed-precondition')).toBe(true);
    expect((error as Error).message).toMatch(/products_v900 was created before keyword search.*reindex/);
    expect((await store.searchSimilar({ collection: 'products_v900', vector: unit(1, 0), limit: 5 })).hits.map((hit) => hit.product.title)).toEqual([
      'blue boot',
    ]);
  });
});

describe('Qdrant adapter re-tags racing across replicas, against the recording fake', () => {
  const vector = (axis: number) => new Float32Array([0, 1, 2, 3].map((i) => (i === axis ? 1 : 0)));
  const tag = (label: string, taxonomyVersion: number) => ({ attribute: 'pattern', label, confidence: 0.9, taxonomyVersion });
  const words = async (store: QdrantVectorStore, collection: string, text: string) =>
    (await store.searchSimilar({ collection, text, mode: 'keyword', limit: 10 })).hits.map((hit) => hit.product.productId);

  afterEach(() => {
    fake.beforeAnswer = undefined;
  });

  it('never lets an older taxonomy overwrite a newer one written between its read and its write', async () => {
    const replica = () => new QdrantVectorStore({ url: fake.url, retries: 0, collectionPrefix: PREFIX });
    const [older, newer] = [replica(), replica()];
    await Promise.all([older.open(), newer.open()]);
    const collection = await older.createGeneration('race-model', 4);
    const item = (productId: string, axis: number) => ({
      product: {
        productId,
        version: 1,
        title: productId,
        description: '',
        brand: '',
        categories: [],
        price: { amount: 1, currency: 'EUR' },
        inStock: true,
        attributes: {},
      },
      images: [{ imageId: 'main', imageUrl: 'u', vector: vector(axis) }],
    });
    await older.upsertProducts(collection, [item('raced', 0), item('other', 1)]);
    // The newer re-tag (taxonomy 3) lands after the older one (taxonomy 2) read the product's record, before it writes.
    let raced = false;
    fake.beforeAnswer = async (request) => {
      if (raced || !request.path.endsWith('/points/batch')) return;
      raced = true;
      await newer.setProductTags(collection, [{ productId: 'raced', tags: [tag('dotted', 3)] }], 3);
    };
    await older.setProductTags(
      collection,
      [
        { productId: 'raced', tags: [tag('plain', 2)] },
        { productId: 'other', tags: [tag('plain', 2)] },
      ],
      2,
    );
    expect(raced).toBe(true);
    expect((await older.getProduct(collection, 'raced'))?.tags).toEqual([tag('dotted', 3)]);
    expect((await older.getProduct(collection, 'other'))?.tags).toEqual([tag('plain', 2)]);
    // The text vector and the terms of the raced product are the newer taxonomy's too.
    expect(await words(older, collection, 'dotted')).toEqual(['raced']);
    expect(await words(older, collection, 'plain')).toEqual(['other']);
    const hits = await older.searchSimilar({ collection, vector: vector(0), mode: 'vector', filter: { tags: { pattern: ['plain'] } }, limit: 10 });
    expect(hits.hits.map((hit) => hit.product.productId)).toEqual(['other']);
  });

  it('gives each of two replicas saving a taxonomy at once a version of its own', async () => {
    const replica = () => new QdrantVectorStore({ url: fake.url, retries: 0, collectionPrefix: PREFIX });
    const [a, b] = [replica(), replica()];
    await Promise.all([a.open(), b.open()]);
    const input = (label: string) => ({
      taxonomy: { attributes: [{ name: 'pattern', mode: 'single' as const, threshold: 0.5, labels: [{ label }, { label: 'plain' }] }] },
      modelId: 'race-model',
      logitScale: 100,
      labelVectors: [
        { attribute: 'pattern', label, vector: vector(0) },
        { attribute: 'pattern', label: 'plain', vector: vector(1) },
      ],
    });
    const before = (await a.readTagging())?.taxonomy.version ?? 0;
    // Both read the same highest version before either claims the next one.
    let reads = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    fake.beforeAnswer = async (request) => {
      if (!request.path.endsWith('/points/scroll') || !request.path.includes('vsearch_meta') || reads >= 2) return;
      if (++reads === 2) release();
      await bothRead;
    };
    const [savedA, savedB] = await Promise.all([a.saveTagging(input('striped')), b.saveTagging(input('dotted'))]);
    expect([savedA.taxonomy.version, savedB.taxonomy.version].sort()).toEqual([before + 1, before + 2]);
    const latest = savedA.taxonomy.version > savedB.taxonomy.version ? savedA : savedB;
    const read = await a.readTagging();
    expect(read?.taxonomy).toEqual(latest.taxonomy);
    expect(read?.labelVectors).toEqual(latest.labelVectors);
  });
});

describe('Qdrant adapter contract', () => {
  it('sent only requests whose paths, methods and bodies Qdrant 1.19 accepts', () => {
    const { ajv, spec } = loadSpecValidator();

    const templates = Object.keys(spec.paths).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      literal: !template.includes('{'),
    }));
    const operations = new Set<string>();
    const problems: string[] = [];
    expect(fake.requests.length).toBeGreaterThan(50);
    // The keyword fallback (most words held) was exercised, so its min_should bodies are checked below too.
    expect(fake.requests.some((request) => JSON.stringify(request.body ?? null).includes('"min_should"'))).toBe(true);
    for (const request of fake.requests) {
      const candidates = templates.filter(({ regex }) => regex.test(request.path)).sort((a, b) => Number(b.literal) - Number(a.literal));
      const match = candidates.find(({ template }) => spec.paths[template][request.method.toLowerCase()]);
      if (!match) {
        problems.push(`${request.method} ${request.path}: no such operation in the spec`);
        continue;
      }
      operations.add(`${request.method} ${match.template}`);
      const schema = spec.paths[match.template][request.method.toLowerCase()].requestBody?.content?.['application/json']?.schema;
      if (!schema) {
        if (request.body !== undefined) problems.push(`${request.method} ${match.template}: the spec takes no body, we sent one`);
        continue;
      }
      const pointer = `qdrant#/paths/${match.template.replace(/~/g, '~0').replace(/\//g, '~1')}/${request.method.toLowerCase()}/requestBody/content/application~1json/schema`;
      const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
      if (!validate(request.body))
        problems.push(`${request.method} ${match.template}: ${ajv.errorsText(validate.errors)}\n    body: ${JSON.stringify(request.body).slice(0, 400)}`);
    }
    expect(problems).toEqual([]);
    // No request named a collection or alias outside the store's prefix.
    const unprefixed = fake.requests.flatMap((request) => {
      const names = [/^\/collections\/([^/]+)/.exec(request.path)?.[1]].filter((name) => name !== undefined && name !== 'aliases') as string[];
      const actions =
        request.path === '/collections/aliases' ? ((request.body as { actions: Array<Record<string, Record<string, string>>> }).actions ?? []) : [];
      for (const action of actions) names.push(...Object.values(Object.values(action)[0]));
      return names.filter((name) => !name.startsWith(PREFIX)).map((name) => `${request.method} ${request.path}: ${name}`);
    });
    expect(unprefixed).toEqual([]);
    // Every operation the adapter needs was exercised (and therefore checked).
    expect([...operations].sort()).toEqual(
      [
        'DELETE /collections/{collection_name}',
        'GET /aliases',
        'GET /collections',
        'GET /collections/{collection_name}',
        'POST /collections/aliases',
        'POST /collections/{collection_name}/points',
        'POST /collections/{collection_name}/points/count',
        'POST /collections/{collection_name}/points/batch',
        'POST /collections/{collection_name}/points/delete',
        'POST /collections/{collection_name}/points/payload',
        'POST /collections/{collection_name}/points/query/batch',
        'POST /collections/{collection_name}/points/query/groups',
        'POST /collections/{collection_name}/points/scroll',
        'PUT /collections/{collection_name}',
        'PUT /collections/{collection_name}/index',
        'PUT /collections/{collection_name}/points',
        'PUT /collections/{collection_name}/points/vectors',
      ].sort(),
    );
  });

  it('detects a body Qdrant would refuse (the check can fail)', () => {
    const { ajv } = loadSpecValidator();
    const validate = ajv.compile({ $ref: 'qdrant#/components/schemas/QueryGroupsRequest' });
    expect(validate({ query: [1, 0], using: 'image', group_by: 'productId', limit: 3 })).toBe(true);
    expect(validate({ query: [1, 0], using: 'image', limit: 3 })).toBe(false); // group_by is required
    expect(validate({ query: [1, 0], group_by: 'productId', filter: { must: [{ key: 'brand', match: { value: { nested: true } } }] } })).toBe(false);
    expect(validate({ query: [1, 0], group_by: 'productId', group_size: 'one' })).toBe(false);
    expect(validate({ query: [1, 0], group_by: 'productId', score_threshold: null, params: null })).toBe(true); // nullable fields
  });
});

describe('Qdrant unreachable', () => {
  it('reports unavailable with the reason after retrying with backoff', async () => {
    const down = new FakeQdrantServer();
    await down.start();
    const url = down.url;
    const store = new QdrantVectorStore({ url, retries: 2, backoffMs: 10, timeoutMs: 2_000 });
    await store.open();
    await down.stop();
    const started = Date.now();
    const error = await store.listCollections().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isVectorStoreError(error, 'unavailable')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`Qdrant at ${url} is unavailable .*after 3 attempts`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(10);
  });
});
