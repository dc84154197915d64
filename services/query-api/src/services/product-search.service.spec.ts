import { DependencyUnavailableError, InvalidRequestError, NotFoundError, type ModelInfo } from '@vsearch/contracts';
import { QueryApiMetrics } from '../metrics/query-api.metrics';
import { ImageInputError } from '../ports';
import { FAKE_MODEL, fakeHit, fakeJpeg, fakePorts } from '../testing/fake-ports';
import { ModelSettingsService, type ModelSettingsOptions } from './model-settings.service';
import { EMBEDDED_QUERY_MAX_CHARS, ProductSearchService, type PageRequest, type TextSearchRequest } from './product-search.service';
import { QueryEmbeddingCache } from './query-embedding.cache';

const context = { requestId: 'req-1' };
const ANY_PAGE: PageRequest = { filter: { categories: [], brands: [] }, limit: 10, offset: 0, sort: 'relevance' };
const HYBRID: TextSearchRequest = { ...ANY_PAGE, mode: 'hybrid' };
const MAX_UPLOAD_BYTES = 1_000;
const FUSION = { k: 40, vectorWeight: 1, keywordWeight: 1.5 };

function searchOver(model: Partial<ModelInfo>, options: ModelSettingsOptions = {}) {
  const ports = fakePorts(model);
  const service = new ProductSearchService(
    ports.embedder,
    ports.searchIndex,
    ports.remoteImages,
    ports.preprocessor,
    new ModelSettingsService(ports.embedder, options),
    new QueryEmbeddingCache(10),
    new QueryApiMetrics(),
    { maxUploadBytes: MAX_UPLOAD_BYTES, fusion: FUSION },
  );
  const lastQuery = () => ports.searchIndex.searches.at(-1)!.query;
  const lastThreshold = () => lastQuery().scoreThreshold;
  return { service, ports, lastQuery, lastThreshold };
}

describe(ProductSearchService.name, () => {
  it("cuts text search off at the text threshold of the embedder's model", async () => {
    const { service, lastThreshold } = searchOver({ textScoreThreshold: 0.35 });
    const answer = await service.searchText('Red Boots', HYBRID, context);
    expect(lastThreshold()).toBe(0.35);
    expect(answer.page.hits.map((hit) => hit.product.productId)).toEqual(['p1']);
    expect(answer.modelId).toBe(FAKE_MODEL.modelId);
  });

  it("cuts text search off at TEXT_SCORE_THRESHOLD instead of the model's threshold when it is set", async () => {
    const { service, lastThreshold } = searchOver({ textScoreThreshold: 0.35 }, { textScoreThresholdOverride: 0.1 });
    await service.searchText('red boots', HYBRID, context);
    expect(lastThreshold()).toBe(0.1);
  });

  it('searches hybrid with the words as typed, the vector of the normalised text, the fusion settings and the cut-off', async () => {
    const { service, ports, lastQuery } = searchOver({ textScoreThreshold: 0.2 });
    const answer = await service.searchText('  Nimbus  Backpack ', { ...HYBRID, sort: 'price_asc' }, context);
    expect(ports.embedder.textCalls.map((call) => call.text)).toEqual(['nimbus backpack']);
    expect(lastQuery()).toMatchObject({ mode: 'hybrid', text: 'Nimbus  Backpack', fusion: FUSION, scoreThreshold: 0.2, sort: 'price_asc', withFacets: true });
    expect(lastQuery().vector).toBeInstanceOf(Float32Array);
    expect(answer.mode).toBe('hybrid');
  });

  it('searches by vector alone without the words, and by keyword alone without calling the embedder', async () => {
    const { service, ports, lastQuery } = searchOver({ textScoreThreshold: 0.2 });
    await service.searchText('red boots', { ...ANY_PAGE, mode: 'vector' }, context);
    expect(lastQuery()).toMatchObject({ mode: 'vector', scoreThreshold: 0.2 });
    expect(lastQuery().text).toBeUndefined();
    const embedderCalls = ports.embedder.textCalls.length + ports.embedder.describeCalls;
    ports.embedder.down = true;
    const answer = await service.searchText('red boots', { ...ANY_PAGE, mode: 'keyword', sort: 'newest' }, context);
    expect(ports.embedder.textCalls.length + ports.embedder.describeCalls).toBe(embedderCalls);
    expect(lastQuery()).toMatchObject({ mode: 'keyword', text: 'red boots', sort: 'newest' });
    expect(lastQuery().vector).toBeUndefined();
    expect([answer.mode, answer.modelId]).toEqual(['keyword', FAKE_MODEL.modelId]);
    // The control: a query whose vector is not cached needs the embedder.
    await expect(service.searchText('blue scarf', HYBRID, context)).rejects.toBeInstanceOf(DependencyUnavailableError);
  });

  it('embeds the start of a 10 KB query (never splitting an emoji) and gives the words all of it', async () => {
    const { service, ports, lastQuery } = searchOver({});
    const pasted = `${'a'.repeat(EMBEDDED_QUERY_MAX_CHARS - 1)}😀${' word'.repeat(2_000)}`;
    await service.searchText(pasted, HYBRID, context);
    expect(ports.embedder.textCalls.at(-1)!.text).toBe('a'.repeat(EMBEDDED_QUERY_MAX_CHARS - 1));
    expect(lastQuery().text).toBe(pasted);
  });

  it('answers photo search by vector alone, in the order asked', async () => {
    const { service, lastQuery } = searchOver({});
    const answer = await service.searchUploadedImage(fakeJpeg(), { ...ANY_PAGE, sort: 'price_desc' }, context);
    expect(lastQuery()).toMatchObject({ mode: 'vector', sort: 'price_desc' });
    expect(lastQuery().text).toBeUndefined();
    expect(answer.mode).toBe('vector');
  });

  it("cuts photo search off at the model's image threshold, and not at the text one", async () => {
    const withImageThreshold = searchOver({ textScoreThreshold: 0.35, imageScoreThreshold: 0.6 }, { textScoreThresholdOverride: 0.1 });
    await withImageThreshold.service.searchUploadedImage(fakeJpeg(), ANY_PAGE, context);
    expect(withImageThreshold.lastThreshold()).toBe(0.6);
    const withoutImageThreshold = searchOver({ textScoreThreshold: 0.35 });
    await withoutImageThreshold.service.searchUploadedImage(fakeJpeg(), ANY_PAGE, context);
    expect(withoutImageThreshold.lastThreshold()).toBeUndefined();
  });

  it('refuses an empty, oversized or non-image upload before any embedding, naming the problem', async () => {
    const { service, ports } = searchOver({});
    const empty = service.searchUploadedImage(new Uint8Array(0), ANY_PAGE, context);
    await expect(empty).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(empty).rejects.toMatchObject({ code: 'empty_image', message: 'the image is empty' });
    const oversized = service.searchUploadedImage(fakeJpeg(MAX_UPLOAD_BYTES), ANY_PAGE, context);
    await expect(oversized).rejects.toBeInstanceOf(ImageInputError);
    await expect(oversized).rejects.toMatchObject({ problem: 'too_large' });
    const pdf = service.searchUploadedImage(Buffer.from('%PDF-1.7\n'), ANY_PAGE, context);
    await expect(pdf).rejects.toBeInstanceOf(ImageInputError);
    await expect(pdf).rejects.toMatchObject({ problem: 'unsupported_format' });
    expect(ports.embedder.pixelCalls).toEqual([]);
  });

  it('answers "more like this" of a product the index does not know with NotFoundError', async () => {
    const { service } = searchOver({});
    const similar = service.similarProducts('nope', ANY_PAGE, context);
    await expect(similar).rejects.toBeInstanceOf(NotFoundError);
    await expect(similar).rejects.toMatchObject({ code: 'product_not_found', message: 'no product nope in the index' });
  });

  describe('more like this', () => {
    const neighbours = (ports: ReturnType<typeof fakePorts>) => {
      ports.searchIndex.hits = [fakeHit('p1', 0.99), fakeHit('p2', 0.31), fakeHit('p3', 0.62)];
    };

    it("drops neighbours below the model's image threshold", async () => {
      const { service, ports } = searchOver({ imageScoreThreshold: 0.5 });
      neighbours(ports);
      const answer = await service.similarProducts('p1', ANY_PAGE, context);
      expect(answer.page.hits.map((hit) => hit.product.productId)).toEqual(['p3']);
    });

    it('keeps every neighbour when the model has no image threshold', async () => {
      const { service, ports } = searchOver({ imageScoreThreshold: undefined });
      neighbours(ports);
      const answer = await service.similarProducts('p1', ANY_PAGE, context);
      expect(answer.page.hits.map((hit) => hit.product.productId)).toEqual(['p2', 'p3']);
    });

    it('applies no threshold of another model than the one whose vectors the collection holds', async () => {
      const { service, ports } = searchOver({ modelId: 'other-clip@2', imageScoreThreshold: 0.5 });
      neighbours(ports);
      const answer = await service.similarProducts('p1', ANY_PAGE, context);
      expect(answer.page.hits.map((hit) => hit.product.productId)).toEqual(['p2', 'p3']);
    });

    it('keeps answering, without a cut-off, while the embedder is down', async () => {
      const { service, ports } = searchOver({ imageScoreThreshold: 0.5 });
      neighbours(ports);
      ports.embedder.down = true;
      const answer = await service.similarProducts('p1', ANY_PAGE, context);
      expect(answer.page.hits.map((hit) => hit.product.productId)).toEqual(['p2', 'p3']);
    });
  });
});
