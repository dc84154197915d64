import { DependencyUnavailableError } from '@vsearch/contracts';
import { createLogger } from '@vsearch/observability';
import { Registry } from 'prom-client';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { FakeDescriber } from '../testing/fake-describer';
import { FAKE_MODEL, FakeEmbedder, FakeImageSource, FakePreprocessor } from '../testing/fakes';
import { AltTextWriter } from './alt-text.service';
import { EmbedQueue } from './embed-queue';
import { EmbeddingCache } from './embedding-cache';
import { ImageVectorizer } from './image-vectorizer';

const logger = createLogger('ingestion-test', 'silent');
const IMAGES = [
  { id: 'front', url: 'http://images.test/front.jpg' },
  { id: 'back', url: 'http://images.test/back.jpg' },
];

function setUp(withDescriber: boolean) {
  const source = new FakeImageSource();
  source.images.set(IMAGES[0].url, Buffer.from([1, 2, 3]));
  source.images.set(IMAGES[1].url, Buffer.from([9, 9]));
  const describer = new FakeDescriber();
  const metrics = new IngestionMetrics(new Registry());
  const preprocessor = new FakePreprocessor();
  const vectorizer = new ImageVectorizer(
    source,
    preprocessor,
    new EmbedQueue(new FakeEmbedder(), metrics, { batchSize: 8, concurrency: 2, maxWaitMs: 1 }),
    new EmbeddingCache(100),
    metrics,
    { fetchConcurrency: 4, fetchAttempts: 1, fetchRetryBaseMs: 1, fetchRetryMaxMs: 5, preprocessConcurrency: 2 },
    logger,
    withDescriber ? new AltTextWriter(describer, preprocessor, { cacheSize: 100 }, logger) : undefined,
  );
  return { vectorizer, describer, source };
}

describe(`${ImageVectorizer.name} with alt text`, () => {
  it('stores each image with its vector and its generated description, fetching each image once', async () => {
    const { vectorizer, source } = setUp(true);
    const [{ vectors, failures }] = await vectorizer.vectorize(IMAGES, [FAKE_MODEL]);
    expect(failures).toEqual([]);
    expect(vectors.map(({ imageId, description }) => ({ imageId, description }))).toEqual([
      { imageId: 'front', description: 'image 1 of 3 bytes by describer@1' },
      { imageId: 'back', description: 'image 9 of 2 bytes by describer@1' },
    ]);
    expect(vectors.every((image) => image.vector.length === FAKE_MODEL.dimension)).toBe(true);
    expect(source.fetched.sort()).toEqual(IMAGES.map((image) => image.url).sort());
  });

  it('stores images without descriptions when no describer is configured', async () => {
    const { vectorizer } = setUp(false);
    const [{ vectors }] = await vectorizer.vectorize(IMAGES, [FAKE_MODEL]);
    expect(vectors.map((image) => image.imageId)).toEqual(['front', 'back']);
    expect(vectors.some((image) => 'description' in image)).toBe(false);
  });

  it("throws the describer's outage instead of storing the product without alt text", async () => {
    const { vectorizer, describer } = setUp(true);
    describer.down = true;
    await expect(vectorizer.vectorize(IMAGES, [FAKE_MODEL])).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
