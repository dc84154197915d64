/**
 * TaggingService.refresh: a taxonomy stored through another replica (here: saved into the same
 * store directly, as another search replica's PutTagging does) reaches this replica's upsert tagging.
 * real: the embedded vector store in a temp directory, the tagger. fake: nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LabelVector, ProductWithImageVectors, TaggingInput } from '@vsearch/contracts';
import { createLogger } from '@vsearch/observability';
import { EmbeddedVectorStore } from '@vsearch/vector-store';
import { Registry } from 'prom-client';
import { SearchMetrics } from '../metrics/search.metrics';
import { TaggingService } from './tagging.service';

const MODEL = 'clip-mini@test';
const axis = (index: number) => Float32Array.from({ length: 4 }, (_, i) => (i === index ? 1 : 0));

function tagging(labels: [string, string], vectors: [Float32Array, Float32Array]): TaggingInput {
  const labelVectors: LabelVector[] = labels.map((label, i) => ({ attribute: 'pattern', label, vector: vectors[i] }));
  return {
    taxonomy: { attributes: [{ name: 'pattern', mode: 'single', threshold: 0.6, labels: labels.map((label) => ({ label })) }] },
    modelId: MODEL,
    logitScale: 100,
    labelVectors,
  };
}

const striped: ProductWithImageVectors = {
  product: {
    productId: 'p1',
    version: 1,
    title: 'shirt',
    description: '',
    brand: 'acme',
    categories: ['apparel'],
    price: { amount: 10, currency: 'EUR' },
    inStock: true,
    attributes: {},
  },
  images: [{ imageId: 'main', imageUrl: 'http://img.test/p1.jpg', vector: axis(0) }],
};

describe('TaggingService.refresh', () => {
  let dir: string;
  let store: EmbeddedVectorStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tagging-refresh-'));
    store = new EmbeddedVectorStore({ dir, durable: false });
    await store.open();
    await store.createGeneration(MODEL, 4, 'products_v1');
    await store.swapAlias('products', 'products_v1');
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('tags upserts with a newer taxonomy stored by another replica once refreshed, never with an older one', async () => {
    const service = new TaggingService(store, new SearchMetrics(new Registry(), store), createLogger('search-test', 'silent'));
    await service.open();
    await service.put('products', tagging(['striped', 'plain'], [axis(0), axis(1)]));
    await service.idle();

    // another replica stores version 2, in which axis 0 means "dotted"
    await store.saveTagging(tagging(['dotted', 'plain'], [axis(0), axis(1)]));
    const [before] = await service.tagForUpsert('products', [striped]);
    expect(before.tags?.map((tag) => `${tag.label}@${tag.taxonomyVersion}`)).toEqual(['striped@1']);

    expect(await service.refresh()).toBe(2);
    const [after] = await service.tagForUpsert('products', [striped]);
    expect(after.tags?.map((tag) => `${tag.label}@${tag.taxonomyVersion}`)).toEqual(['dotted@2']);
    await service.close();
  });
});
