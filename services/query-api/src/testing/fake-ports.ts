/**
 * Fakes of the query API's ports for unit tests of the HTTP layer and the
 * logic around the adapters. Each records its calls; a fake whose behaviour
 * was not set up fails loudly instead of answering something plausible.
 */
import type { ProductData, SearchHit, SearchPage } from '@vsearch/contracts';
import type { ReindexRequested } from '@vsearch/contracts';
import { DependencyUnavailableError } from '../errors';
import {
  ImageInputError,
  ImagePreprocessor,
  ModelManifests,
  ProductIndex,
  QueryEmbedder,
  ReindexProgressSource,
  ReindexRequestPublisher,
  RemoteImageSource,
  type QueryApiPorts,
  type QueryModelInfo,
  type ReindexJob,
  type RequestContext,
  type SimilarQuery,
  type VectorQuery,
} from '../ports';

export const FAKE_MODEL: QueryModelInfo = { modelId: 'fake-clip@1', dimension: 4, imageSize: 8 };

export class FakeEmbedder extends QueryEmbedder {
  down = false;
  readonly textCalls: { text: string; requestId: string }[] = [];
  readonly pixelCalls: { length: number; requestId: string }[] = [];

  async describeModel(_context: RequestContext): Promise<QueryModelInfo> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    return FAKE_MODEL;
  }

  async embedQueryText(text: string, context: RequestContext): Promise<Float32Array> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    this.textCalls.push({ text, requestId: context.requestId });
    return Float32Array.from([1, 0, 0, 0]);
  }

  async embedQueryPixels(pixels: Uint8Array, context: RequestContext): Promise<Float32Array> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    if (pixels.length !== FAKE_MODEL.imageSize * FAKE_MODEL.imageSize * 3) throw new Error(`unexpected pixel count ${pixels.length}`);
    this.pixelCalls.push({ length: pixels.length, requestId: context.requestId });
    return Float32Array.from([0, 1, 0, 0]);
  }

  async checkReady(): Promise<void> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
  }
}

export function fakeHit(productId: string, score: number, overrides: Partial<ProductData> = {}): SearchHit {
  return {
    product: {
      productId,
      version: 1,
      title: `Product ${productId}`,
      description: '',
      brand: 'Acme',
      categories: ['women', 'boots'],
      price: { amount: 49.5, currency: 'EUR' },
      inStock: true,
      attributes: {},
      ...overrides,
    },
    score,
    matchedImageId: `${productId}-1`,
    matchedImageUrl: `http://127.0.0.1:8080/catalog-images/${productId}/${productId}-1.jpg`,
  };
}

export class FakeProductIndex extends ProductIndex {
  down = false;
  hits: SearchHit[] = [fakeHit('p1', 0.42), fakeHit('p2', 0.31)];
  knownProducts = new Set(['p1', 'p2']);
  readonly searches: { query: VectorQuery; requestId: string }[] = [];
  readonly similarCalls: SimilarQuery[] = [];

  async searchByVector(query: VectorQuery, context: RequestContext): Promise<SearchPage> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
    this.searches.push({ query, requestId: context.requestId });
    const hits = this.hits.filter((hit) => query.scoreThreshold === undefined || hit.score >= query.scoreThreshold);
    return {
      hits: hits.slice(query.offset, query.offset + query.limit),
      facets: { categories: [{ value: 'boots', count: hits.length }], brands: [{ value: 'Acme', count: hits.length }], priceBands: [], stock: [] },
      collection: 'products_v1',
      modelId: FAKE_MODEL.modelId,
    };
  }

  async findSimilar(query: SimilarQuery, _context: RequestContext): Promise<SearchPage | undefined> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
    this.similarCalls.push(query);
    if (!this.knownProducts.has(query.productId)) return undefined;
    const hits = this.hits.filter((hit) => hit.product.productId !== query.productId);
    return { hits, facets: { categories: [], brands: [], priceBands: [], stock: [] }, collection: 'products_v1', modelId: FAKE_MODEL.modelId };
  }

  async checkReady(): Promise<void> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
  }
}

/** Refuses every URL unless it was registered with `serve`. */
export class FakeRemoteImages extends RemoteImageSource {
  private readonly images = new Map<string, Uint8Array>();

  serve(url: string, bytes: Uint8Array): void {
    this.images.set(url, bytes);
  }

  async fetchImage(url: string, _context: RequestContext): Promise<Uint8Array> {
    const bytes = this.images.get(url);
    if (!bytes) throw new ImageInputError('url_refused', `fetching ${url} is not allowed`);
    return bytes;
  }
}

/** Accepts bytes that start like an image and end with the JPEG/PNG end marker the tests write; else undecodable. */
export class FakePreprocessor extends ImagePreprocessor {
  async toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    const tail = Buffer.from(bytes.subarray(bytes.length - 4)).toString('latin1');
    if (tail !== 'END!') throw new ImageInputError('undecodable', 'the image cannot be decoded: unexpected end of data');
    return new Uint8Array(size * size * 3);
  }
}

export class FakeReindexPublisher extends ReindexRequestPublisher {
  down = false;
  readonly published: ReindexRequested[] = [];

  async publish(request: ReindexRequested, _context: RequestContext): Promise<void> {
    if (this.down) throw new DependencyUnavailableError('event-log', 'broker unreachable');
    this.published.push(request);
  }

  async close(): Promise<void> {}
}

export class FakeReindexProgress extends ReindexProgressSource {
  readonly jobs = new Map<string, ReindexJob>();

  async getJob(jobId: string, _context: RequestContext): Promise<ReindexJob | undefined> {
    return this.jobs.get(jobId);
  }
}

export class FakeModelManifests extends ModelManifests {
  constructor(private readonly thresholds: Record<string, number> = {}) {
    super();
  }

  textSearchScoreThreshold(modelId: string): number | undefined {
    return this.thresholds[modelId];
  }
}

export interface FakePorts extends QueryApiPorts {
  embedder: FakeEmbedder;
  productIndex: FakeProductIndex;
  remoteImages: FakeRemoteImages;
  preprocessor: FakePreprocessor;
  reindexPublisher: FakeReindexPublisher;
  reindexProgress: FakeReindexProgress;
  modelManifests: FakeModelManifests;
}

export function fakePorts(thresholds: Record<string, number> = {}): FakePorts {
  return {
    embedder: new FakeEmbedder(),
    productIndex: new FakeProductIndex(),
    remoteImages: new FakeRemoteImages(),
    preprocessor: new FakePreprocessor(),
    reindexPublisher: new FakeReindexPublisher(),
    reindexProgress: new FakeReindexProgress(),
    modelManifests: new FakeModelManifests(thresholds),
  };
}

/** Bytes that sniff as JPEG and that FakePreprocessor decodes. */
export function fakeJpeg(extraBytes = 0): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(extraBytes, 7), Buffer.from('END!', 'latin1')]);
}
