import { InvalidRequestError, NotFoundError, type ModelInfo } from '@vsearch/contracts';
import { QueryApiMetrics } from '../metrics/query-api.metrics';
import { ImageInputError } from '../ports';
import { FAKE_MODEL, fakeJpeg, fakePorts } from '../testing/fake-ports';
import { ModelSettingsService, type ModelSettingsOptions } from './model-settings.service';
import { ProductSearchService, type PageRequest } from './product-search.service';
import { QueryEmbeddingCache } from './query-embedding.cache';

const context = { requestId: 'req-1' };
const ANY_PAGE: PageRequest = { filter: { categories: [], brands: [] }, limit: 10, offset: 0 };
const MAX_UPLOAD_BYTES = 1_000;

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
    { maxUploadBytes: MAX_UPLOAD_BYTES },
  );
  const lastThreshold = () => ports.searchIndex.searches.at(-1)!.query.scoreThreshold;
  return { service, ports, lastThreshold };
}

describe(ProductSearchService.name, () => {
  it("cuts text search off at the text threshold of the embedder's model", async () => {
    const { service, lastThreshold } = searchOver({ textScoreThreshold: 0.35 });
    const answer = await service.searchText('Red Boots', ANY_PAGE, context);
    expect(lastThreshold()).toBe(0.35);
    expect(answer.page.hits.map((hit) => hit.product.productId)).toEqual(['p1']);
    expect(answer.modelId).toBe(FAKE_MODEL.modelId);
  });

  it("cuts text search off at TEXT_SCORE_THRESHOLD instead of the model's threshold when it is set", async () => {
    const { service, lastThreshold } = searchOver({ textScoreThreshold: 0.35 }, { textScoreThresholdOverride: 0.1 });
    await service.searchText('red boots', ANY_PAGE, context);
    expect(lastThreshold()).toBe(0.1);
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
});
