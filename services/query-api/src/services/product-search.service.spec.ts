import { DependencyUnavailableError, InvalidRequestError, NotFoundError, type ModelInfo } from '@vsearch/contracts';
import { QueryApiMetrics } from '../metrics/query-api.metrics';
import { ImageInputError } from '../ports';
import { FAKE_MODEL, fakeHit, fakeJpeg, fakePorts } from '../testing/fake-ports';
import { LiveModelService } from './live-model.service';
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
    new LiveModelService(ports.searchIndex),
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
      // The live generation holds a model the embedder no longer loads: its threshold is unknown here.
      ports.searchIndex.liveModel = 'retired-clip@1';
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

  describe("during a model rollout (the live generation holds another model than the embedder's default)", () => {
    const NEXT: ModelInfo = { ...FAKE_MODEL, modelId: 'fake-clip@2', imageSize: 6, textScoreThreshold: 0.27, imageScoreThreshold: 0.7 };

    function rollout(options: { live: 'default' | 'next' }) {
      const over = searchOver({ textScoreThreshold: 0.35 });
      over.ports.embedder.rolloutModels = [NEXT];
      over.ports.searchIndex.liveModel = options.live === 'next' ? NEXT.modelId : FAKE_MODEL.modelId;
      return over;
    }

    it("embeds a text query with the live generation's model, names it to search and cuts at that model's threshold", async () => {
      const { service, ports, lastQuery } = rollout({ live: 'next' });
      const answer = await service.searchText('red boots', HYBRID, context);
      expect(ports.embedder.textCalls.map((call) => call.modelId)).toEqual([NEXT.modelId]);
      expect(lastQuery()).toMatchObject({ modelId: NEXT.modelId, scoreThreshold: 0.27, vector: Float32Array.from([0, 0, 0, 1]) });
      expect(answer.modelId).toBe(NEXT.modelId);
      expect(ports.searchIndex.refusedModels).toEqual([]);
    });

    it("preprocesses a photo at the live model's input size and embeds it with that model", async () => {
      const { service, ports, lastQuery } = rollout({ live: 'next' });
      await service.searchUploadedImage(fakeJpeg(), ANY_PAGE, context);
      expect(ports.embedder.pixelCalls).toEqual([{ length: 6 * 6 * 3, requestId: context.requestId, modelId: NEXT.modelId }]);
      expect(lastQuery()).toMatchObject({ modelId: NEXT.modelId, scoreThreshold: 0.7 });
    });

    it('names the live model on "more like this" and cuts at its image threshold', async () => {
      const { service, ports } = rollout({ live: 'next' });
      ports.searchIndex.hits = [fakeHit('p2', 0.69), fakeHit('p3', 0.71)];
      const answer = await service.similarProducts('p1', ANY_PAGE, context);
      expect(ports.searchIndex.similarCalls.map((call) => call.modelId)).toEqual([NEXT.modelId]);
      expect(answer.page.hits.map((hit) => hit.product.productId)).toEqual(['p3']);
    });

    it('sends no model with a keyword search: it has no vector', async () => {
      const { service, lastQuery } = rollout({ live: 'next' });
      await service.searchText('red boots', { ...ANY_PAGE, mode: 'keyword' }, context);
      expect(lastQuery().modelId).toBeUndefined();
    });

    it('after the alias swaps to the next model, retries a refused query once with the model looked up again, and caches vectors per model', async () => {
      const { service, ports, lastQuery } = rollout({ live: 'default' });
      await service.searchText('red boots', HYBRID, context);
      expect(lastQuery().modelId).toBe(FAKE_MODEL.modelId);
      // The swap: the cached live model is now stale, so search refuses the next query once.
      ports.searchIndex.liveModel = NEXT.modelId;
      const answer = await service.searchText('red boots', HYBRID, context);
      expect(ports.searchIndex.refusedModels).toEqual([FAKE_MODEL.modelId]);
      expect(ports.searchIndex.liveModelCalls).toBe(2);
      expect(answer.modelId).toBe(NEXT.modelId);
      expect(lastQuery()).toMatchObject({ modelId: NEXT.modelId, vector: Float32Array.from([0, 0, 0, 1]) });
      // The old model's vector of the same text was cached; the next model's had to be embedded.
      expect(ports.embedder.textCalls.map((call) => call.modelId)).toEqual([FAKE_MODEL.modelId, NEXT.modelId]);
      await service.searchText('Red  Boots', HYBRID, context);
      expect(ports.embedder.textCalls).toHaveLength(2);
    });

    it('answers 503 (DependencyUnavailableError) when search refuses the model again after the look-up', async () => {
      const { service, ports } = rollout({ live: 'next' });
      // A look-up that keeps answering the old model: the index is changing under the query.
      jest.spyOn(ports.searchIndex, 'liveModelId').mockResolvedValue(FAKE_MODEL.modelId);
      await expect(service.searchText('red boots', HYBRID, context)).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(ports.searchIndex.refusedModels).toEqual([FAKE_MODEL.modelId, FAKE_MODEL.modelId]);
    });

    it("answers 503 when the embedder has not loaded the live generation's model", async () => {
      const { service, ports } = rollout({ live: 'next' });
      ports.embedder.rolloutModels = [];
      await expect(service.searchText('red boots', HYBRID, context)).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(ports.searchIndex.searches).toEqual([]);
    });
  });
});
