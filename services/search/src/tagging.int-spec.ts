/**
 * Zero-shot tagging through the search service.
 * real: the search service (gRPC server, handler, tagging service, re-tag job), the embedded
 * vector store in a temp directory, SearchClient over gRPC.
 * mock: nothing (label vectors are axis vectors standing in for the text tower's output).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { LabelVector, ProductWithImageVectors, TaggingInput, TaggingStatus } from '@vsearch/contracts';
import { SearchCallError, SearchClient } from '@vsearch/grpc-clients';
import { freePort } from '@vsearch/testing';
import { startSearchService, type RunningSearchService } from './index';

const DIMENSION = 4;
const MODEL = 'clip-mini@test';

function axis(index: number): Float32Array {
  const vector = new Float32Array(DIMENSION);
  vector[index] = 1;
  return vector;
}

function item(productId: string, vector: Float32Array, version = 1): ProductWithImageVectors {
  return {
    product: {
      productId,
      version,
      title: `${productId} shirt`,
      description: '',
      categories: ['apparel'],
      price: { amount: 10, currency: 'EUR' },
      inStock: true,
      brand: 'acme',
      attributes: {},
    },
    images: [{ imageId: 'main', imageUrl: `http://img.test/${productId}.jpg`, vector }],
  };
}

/** pattern: striped = axis 0, plain = axis 1; colour: red = axis 2, blue = axis 3. */
const LABEL_VECTORS: LabelVector[] = [
  { attribute: 'pattern', label: 'striped', vector: axis(0) },
  { attribute: 'pattern', label: 'plain', vector: axis(1) },
  { attribute: 'colour', label: 'red', vector: axis(2) },
  { attribute: 'colour', label: 'blue', vector: axis(3) },
];
const TAGGING: TaggingInput = {
  taxonomy: {
    attributes: [
      { name: 'pattern', mode: 'single', threshold: 0.6, labels: [{ label: 'striped' }, { label: 'plain' }] },
      { name: 'colour', mode: 'single', threshold: 0.6, labels: [{ label: 'red' }, { label: 'blue' }] },
    ],
  },
  modelId: MODEL,
  logitScale: 100,
  labelVectors: LABEL_VECTORS,
};

async function expectCode(promise: Promise<unknown>, code: grpc.status, details: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SearchCallError);
  expect(grpc.status[(error as SearchCallError).code]).toBe(grpc.status[code]);
  expect((error as SearchCallError).details).toMatch(details);
}

describe('zero-shot tagging through the search service (embedded store)', () => {
  let dataDir: string;
  let service: RunningSearchService;
  let client: SearchClient;

  const start = async () => {
    service = await startSearchService({
      SEARCH_PORT: await freePort(),
      METRICS_PORT: 0,
      SEARCH_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      EMBEDDED_DURABLE: 'false',
    });
    client = new SearchClient({ address: `127.0.0.1:${service.port}`, defaultDeadlineMs: 10_000 });
  };

  /** Polls GetTagging until the re-tag ends (no wall-clock assertion: only the end state is checked). */
  const settled = async (): Promise<TaggingStatus> => {
    for (;;) {
      const status = await client.getTagging();
      if (status.state !== 'tagging' && status.queuedVersion === undefined) return status;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-tagging-'));
    await start();
    await client.swapAlias('products', await client.createGeneration(MODEL, DIMENSION));
    // stored before any taxonomy: untagged until a re-tag
    await client.upsertProducts([item('striped-shirt', axis(0)), item('plain-shirt', axis(1)), item('red-shirt', axis(2))], { modelId: MODEL });
  });
  afterAll(async () => {
    client.close();
    await service.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers idle with no taxonomy before the first one', async () => {
    expect(await client.getTagging()).toEqual({ state: 'idle', productsTagged: 0, productsTotal: 0 });
  });

  it('refuses label vectors of another model, naming both models', async () => {
    await expectCode(
      client.putTagging({ ...TAGGING, modelId: 'other@1' }),
      grpc.status.FAILED_PRECONDITION,
      /model other@1.*products_v1.*model clip-mini@test/,
    );
  });

  it('refuses an invalid taxonomy naming the attribute and label, and vectors that do not fit it', async () => {
    const duplicate = { attributes: [{ name: 'pattern', mode: 'single' as const, threshold: 0.5, labels: [{ label: 'striped' }, { label: 'Striped' }] }] };
    await expectCode(
      client.putTagging({ ...TAGGING, taxonomy: duplicate }),
      grpc.status.INVALID_ARGUMENT,
      /attribute "pattern" label "Striped": is listed twice/,
    );
    await expectCode(
      client.putTagging({ ...TAGGING, labelVectors: LABEL_VECTORS.slice(1) }),
      grpc.status.INVALID_ARGUMENT,
      /attribute "pattern" label "striped" has no vector/,
    );
  });

  it('previews what a taxonomy would tag before it is applied', async () => {
    const previews = await client.previewTags('pattern', 5, { candidate: TAGGING });
    expect(previews.map(({ label, productCount, products }) => ({ label, productCount, ids: products.map((product) => product.productId) }))).toEqual([
      { label: 'striped', productCount: 1, ids: ['striped-shirt'] },
      { label: 'plain', productCount: 1, ids: ['plain-shirt'] },
    ]);
    expect((await client.getProduct('striped-shirt'))?.tags).toBeUndefined();
  });

  it('re-tags the stored catalog from its vectors, then tags new products at upsert', async () => {
    expect(await client.putTagging(TAGGING)).toEqual({ taxonomyVersion: 1, queued: false });
    const status = await settled();
    expect(status).toMatchObject({ state: 'done', productsTagged: 3, productsTotal: 3, modelId: MODEL });
    expect(status.taxonomy?.version).toBe(1);
    expect((await client.getProduct('striped-shirt'))?.tags).toEqual([
      { attribute: 'pattern', label: 'striped', confidence: expect.any(Number), taxonomyVersion: 1 },
    ]);
    // orthogonal to both patterns (an even split, below the 0.6 threshold): the red shirt gets no pattern tag
    expect((await client.getProduct('red-shirt'))?.tags?.map((tag) => `${tag.attribute}=${tag.label}`)).toEqual(['colour=red']);

    await client.upsertProducts([item('blue-shirt', axis(3))], { modelId: MODEL });
    expect((await client.getProduct('blue-shirt'))?.tags?.map((tag) => `${tag.attribute}=${tag.label}`)).toEqual(['colour=blue']);
  });

  it('filters and facets search results by tags, and finds tag labels by keyword', async () => {
    const page = await client.search({
      modelId: MODEL,
      vector: axis(0),
      mode: 'vector',
      limit: 10,
      filter: { tags: { colour: ['red', 'blue'] } },
      withFacets: true,
    });
    expect(page.hits.map((hit) => hit.product.productId).sort()).toEqual(['blue-shirt', 'red-shirt']);
    expect(page.hits[0].tags?.[0]?.attribute).toBe('colour');
    expect(page.facets?.tags).toEqual({
      colour: [
        { value: 'blue', count: 1 },
        { value: 'red', count: 1 },
      ],
    });
    const keyword = await client.search({ text: 'striped', mode: 'keyword', limit: 10 });
    expect(keyword.hits.map((hit) => hit.product.productId)).toEqual(['striped-shirt']);
  });

  it('exports every tag in pages', async () => {
    const rows = [];
    let pageToken: string | undefined;
    do {
      const page = await client.listTags({ pageToken, pageSize: 2 });
      rows.push(...page.rows);
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(rows.map((row) => `${row.productId}:${row.attribute}=${row.label}`).sort()).toEqual([
      'blue-shirt:colour=blue',
      'plain-shirt:pattern=plain',
      'red-shirt:colour=red',
      'striped-shirt:pattern=striped',
    ]);
  });

  it('classifies a stored product against candidate labels, and refuses 1 label', async () => {
    const ranked = await client.classifyProduct('red-shirt', { labelVectors: LABEL_VECTORS, modelId: MODEL, logitScale: 100 });
    expect(ranked[0].label).toBe('red');
    expect(ranked.reduce((sum, entry) => sum + entry.probability, 0)).toBeCloseTo(1, 4);
    await expectCode(
      client.classifyProduct('red-shirt', { labelVectors: LABEL_VECTORS.slice(0, 1), modelId: MODEL, logitScale: 100 }),
      grpc.status.INVALID_ARGUMENT,
      /2 to 200 candidate labels, got 1/,
    );
  });

  it('keeps the taxonomy and tags across a restart', async () => {
    client.close();
    await service.close();
    await start();
    // the re-tag's record is durable: the finished run's counts, not a fresh 0/0
    expect(await client.getTagging()).toMatchObject({ taxonomy: { version: 1 }, state: 'done', productsTagged: 3, productsTotal: 3 });
    await client.upsertProducts([item('striped-two', axis(0))], { modelId: MODEL });
    expect((await client.getProduct('striped-two'))?.tags?.map((tag) => tag.label)).toEqual(['striped']);
  });
});
