/**
 * ImageVectorizer with several models (a model rollout): each image fetched, decoded and described
 * once, embedded once per model at that model's input size.
 * real: ImageVectorizer, EmbedQueue, EmbeddingCache, AltTextWriter.
 * mock: the image host, decoder, embedder and describer (testing/fakes, testing/fake-describer).
 */
import { createLogger } from '@vsearch/observability';
import { Registry } from 'prom-client';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { ImageUnavailableError, type EmbedderModel } from '../ports';
import { FakeDescriber } from '../testing/fake-describer';
import { FAKE_MODEL, FakeEmbedder, FakeImageSource, FakePreprocessor } from '../testing/fakes';
import { AltTextWriter } from './alt-text.service';
import { EmbedQueue } from './embed-queue';
import { contentHash, EmbeddingCache } from './embedding-cache';
import { ImageVectorizer } from './image-vectorizer';

const logger = createLogger('ingestion-test', 'silent');
const IMAGES = [
  { id: 'front', url: 'http://images.test/front.jpg' },
  { id: 'back', url: 'http://images.test/back.jpg' },
];
/** The next model of a rollout, at another input size than FAKE_MODEL's (2). */
const NEXT: EmbedderModel = { modelId: 'next-model@2', dimension: FAKE_MODEL.dimension, imageSize: 3 };
/** A retrained model at FAKE_MODEL's input size. */
const RETRAINED: EmbedderModel = { modelId: 'retrained-model@2', dimension: FAKE_MODEL.dimension, imageSize: FAKE_MODEL.imageSize };

function setUp({ describerSize }: { describerSize?: number } = {}) {
  const source = new FakeImageSource();
  source.images.set(IMAGES[0].url, Buffer.from([1, 2, 3]));
  source.images.set(IMAGES[1].url, Buffer.from([9, 9]));
  const embedder = new FakeEmbedder();
  embedder.rolloutModels = [NEXT, RETRAINED];
  const describer = new FakeDescriber();
  if (describerSize !== undefined) describer.model = { ...describer.model, imageSize: describerSize };
  const preprocessor = new FakePreprocessor();
  const metrics = new IngestionMetrics(new Registry());
  const cache = new EmbeddingCache(100);
  const vectorizer = new ImageVectorizer(
    source,
    preprocessor,
    new EmbedQueue(embedder, metrics, { batchSize: 8, concurrency: 2, maxWaitMs: 1 }),
    cache,
    metrics,
    { fetchConcurrency: 4, fetchAttempts: 1, fetchRetryBaseMs: 1, fetchRetryMaxMs: 5, preprocessConcurrency: 2 },
    logger,
    describerSize === undefined ? undefined : new AltTextWriter(describer, preprocessor, { cacheSize: 100 }, logger),
  );
  return { vectorizer, source, embedder, describer, preprocessor, cache };
}

/** FakeEmbedder: a vector's last component is the position of the model that made it (1 FAKE_MODEL, 2 NEXT, 3 RETRAINED). */
const madeBy = (vectors: { vector: Float32Array }[]) => vectors.map(({ vector }) => vector.at(-1));
const sorted = (values: readonly (string | number | undefined)[]) => [...values].sort();

describe(`${ImageVectorizer.name} with several models`, () => {
  it('fetches and decodes each image once for two models of one input size, and embeds it once per model', async () => {
    const t = setUp();
    const [serving, retrained] = await t.vectorizer.vectorize(IMAGES, [FAKE_MODEL, RETRAINED]);
    expect(serving.failures).toEqual([]);
    expect(retrained.failures).toEqual([]);
    expect(serving.vectors.map((image) => image.imageId)).toEqual(['front', 'back']);
    expect(madeBy(serving.vectors)).toEqual([1, 1]);
    expect(madeBy(retrained.vectors)).toEqual([3, 3]);
    expect(sorted(t.source.fetched)).toEqual(sorted(IMAGES.map((image) => image.url)));
    expect(t.preprocessor.decodedSizes).toEqual([2, 2]);
    expect(sorted(t.embedder.modelCalls.flatMap((modelId, i) => Array<string | undefined>(t.embedder.calls[i]).fill(modelId)))).toEqual(
      sorted([FAKE_MODEL.modelId, FAKE_MODEL.modelId, RETRAINED.modelId, RETRAINED.modelId]),
    );
  });

  it("decodes once per input size, describes once from the decode of the describer's size, and gives every model the content and description", async () => {
    const t = setUp({ describerSize: NEXT.imageSize });
    const [serving, next] = await t.vectorizer.vectorize(IMAGES, [FAKE_MODEL, NEXT]);
    expect(madeBy(serving.vectors)).toEqual([1, 1]);
    expect(madeBy(next.vectors)).toEqual([2, 2]);
    // Each image once at 2 (FAKE_MODEL) and once at 3 (NEXT and the describer): FakeEmbedder refuses pixels of another size.
    expect(sorted(t.preprocessor.decodedSizes)).toEqual([2, 2, 3, 3]);
    expect(sorted(t.source.fetched)).toEqual(sorted(IMAGES.map((image) => image.url)));
    expect(sorted(t.describer.calls)).toEqual([1, 9]);
    for (const product of [serving, next]) {
      expect(product.vectors.map(({ imageId, description, content }) => ({ imageId, description, sha256: content?.sha256 }))).toEqual([
        { imageId: 'front', description: 'image 1 of 3 bytes by describer@1', sha256: contentHash(Buffer.from([1, 2, 3])) },
        { imageId: 'back', description: 'image 9 of 2 bytes by describer@1', sha256: contentHash(Buffer.from([9, 9])) },
      ]);
    }
  });

  it('records a fetch or decode failure for every model, fetching and decoding the image once', async () => {
    const t = setUp();
    t.source.images.set(IMAGES[0].url, new ImageUnavailableError('fetch', 'http_status', 'answered 404'));
    t.source.images.set(IMAGES[1].url, Buffer.alloc(0));
    const perModel = await t.vectorizer.vectorize(IMAGES, [FAKE_MODEL, NEXT]);
    for (const product of perModel) {
      expect(product.vectors).toEqual([]);
      expect(product.failures.map(({ imageId, stage, errorCode }) => ({ imageId, stage, errorCode }))).toEqual([
        { imageId: 'front', stage: 'fetch', errorCode: 'http_status' },
        { imageId: 'back', stage: 'decode', errorCode: 'decode_failed' },
      ]);
    }
    expect(sorted(t.source.fetched)).toEqual(sorted(IMAGES.map((image) => image.url)));
    // Both sizes are decoded before any model embeds; neither is tried twice.
    expect(sorted(t.preprocessor.decodedSizes)).toEqual([2, 3]);
    expect(t.embedder.embeddedImages).toBe(0);
  });

  it("records the embedder's refusal as that model's failure only", async () => {
    const t = setUp();
    const unloaded: EmbedderModel = { modelId: 'unloaded@1', dimension: FAKE_MODEL.dimension, imageSize: 3 };
    const [serving, refused] = await t.vectorizer.vectorize(IMAGES, [FAKE_MODEL, unloaded]);
    expect(madeBy(serving.vectors)).toEqual([1, 1]);
    expect(serving.failures).toEqual([]);
    expect(refused.vectors).toEqual([]);
    expect(refused.failures.map(({ imageId, stage, errorCode }) => ({ imageId, stage, errorCode }))).toEqual([
      { imageId: 'front', stage: 'embed', errorCode: 'NOT_FOUND' },
      { imageId: 'back', stage: 'embed', errorCode: 'NOT_FOUND' },
    ]);
  });

  describe('an image stored before, whose host gives an ETag', () => {
    const image = IMAGES[0];
    const bytes = Buffer.from([1, 2, 3]);
    const stored = [{ imageId: image.id, imageUrl: image.url, content: { sha256: contentHash(bytes), etag: '"v1"' } }];

    it('is asked for once conditionally when every model has its vector cached: a 304 downloads and embeds nothing', async () => {
      const t = setUp();
      t.source.etags.set(image.url, '"v1"');
      await t.vectorizer.vectorize([image], [FAKE_MODEL, NEXT]);
      const fetchedBefore = t.source.fetched.length;
      const embeddedBefore = t.embedder.embeddedImages;
      const [serving, next] = await t.vectorizer.vectorize([image], [FAKE_MODEL, NEXT], { stored });
      expect(t.source.notModified).toEqual([image.url]);
      expect(t.source.fetched.length).toBe(fetchedBefore);
      expect(t.embedder.embeddedImages).toBe(embeddedBefore);
      expect(madeBy(serving.vectors)).toEqual([1]);
      expect(madeBy(next.vectors)).toEqual([2]);
      expect(next.vectors[0].content).toEqual(stored[0].content);
    });

    it('is downloaded once when one model lacks its vector, and embedded only for that model', async () => {
      const t = setUp();
      t.source.etags.set(image.url, '"v1"');
      await t.vectorizer.vectorize([image], [FAKE_MODEL]);
      t.embedder.modelCalls.length = 0;
      const [serving, next] = await t.vectorizer.vectorize([image], [FAKE_MODEL, NEXT], { stored });
      expect(t.source.notModified).toEqual([]);
      expect(t.source.fetched).toEqual([image.url, image.url]);
      expect(t.embedder.modelCalls).toEqual([NEXT.modelId]);
      expect(madeBy(serving.vectors)).toEqual([1]);
      expect(madeBy(next.vectors)).toEqual([2]);
    });
  });
});
