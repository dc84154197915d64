/**
 * Fakes of the query API's ports for unit tests of the HTTP layer and the
 * logic around the adapters. Each records its calls; a fake whose behaviour
 * was not set up fails loudly instead of answering something plausible.
 */
import { DependencyUnavailableError, type ModelInfo, type ProductData, type ReindexRequested, type SearchHit, type SearchPage } from '@vsearch/contracts';
import {
  ImageInputError,
  ImagePreprocessor,
  ProductSearchIndex,
  QueryEmbedder,
  ReindexProgressSource,
  ReindexRequestPublisher,
  RemoteImageSource,
  type QueryApiPorts,
  type ReindexJob,
  type RequestContext,
  type ProductQuery,
  type SimilarQuery,
} from '../ports';
import { FakeProductDescriber } from './fake-describer';
import { FakeLabelTextEmbedder, FakeTaggingIndex } from './fake-tagging';

/** A model with no score cut-offs of its own (text threshold 0, no image threshold). */
export const FAKE_MODEL: ModelInfo = {
  modelId: 'fake-clip@1',
  dimension: 4,
  imageSize: 8,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  resize: 'shortest-side-bicubic',
  crop: 'center',
  contextLength: 16,
  executionProvider: 'cpu',
  textScoreThreshold: 0,
  logitScale: 100,
};

export class FakeQueryEmbedder extends QueryEmbedder {
  down = false;
  readonly textCalls: { text: string; requestId: string }[] = [];
  readonly pixelCalls: { length: number; requestId: string }[] = [];
  describeCalls = 0;

  constructor(public model: ModelInfo = FAKE_MODEL) {
    super();
  }

  async describeModel(_context: RequestContext): Promise<ModelInfo> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    this.describeCalls++;
    return this.model;
  }

  async embedQueryText(text: string, context: RequestContext): Promise<Float32Array> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    this.textCalls.push({ text, requestId: context.requestId });
    return Float32Array.from([1, 0, 0, 0]);
  }

  async embedQueryPixels(pixels: Uint8Array, context: RequestContext): Promise<Float32Array> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    if (pixels.length !== this.model.imageSize * this.model.imageSize * 3) throw new Error(`unexpected pixel count ${pixels.length}`);
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

export class FakeProductSearchIndex extends ProductSearchIndex {
  down = false;
  hits: SearchHit[] = [fakeHit('p1', 0.42), fakeHit('p2', 0.31)];
  knownProducts = new Set(['p1', 'p2']);
  readonly searches: { query: ProductQuery; requestId: string }[] = [];
  readonly similarCalls: SimilarQuery[] = [];

  /** Every hit matches; the cut-off applies to the vector ranking, so not in keyword mode. Facets and total count the matched hits. */
  async searchProducts(query: ProductQuery, context: RequestContext): Promise<SearchPage> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
    // The store's own checks: a mode without what it ranks by is a bug in the caller.
    if (query.mode !== 'keyword' && !query.vector) throw new Error(`${query.mode} search without a vector`);
    if (query.mode !== 'vector' && query.text === undefined) throw new Error(`${query.mode} search without text`);
    if (query.mode === 'vector' && query.text !== undefined) throw new Error('vector search given text it would ignore');
    this.searches.push({ query, requestId: context.requestId });
    const cut = query.mode !== 'keyword' && query.scoreThreshold !== undefined;
    const hits = this.hits.filter((hit) => !cut || hit.score >= query.scoreThreshold!);
    if (hits.length === 0) {
      return {
        hits: [],
        facets: { categories: [], brands: [], priceBands: [], stock: [] },
        total: 0,
        totalIsLowerBound: false,
        collection: 'products_v1',
        modelId: FAKE_MODEL.modelId,
      };
    }
    return {
      hits: hits.slice(query.offset, query.offset + query.limit),
      facets: {
        categories: [{ value: 'boots', count: hits.length }],
        brands: [{ value: 'Acme', count: hits.length }],
        priceBands: [{ value: '25-50', count: hits.length }],
        stock: [{ value: 'in_stock', count: hits.length }],
      },
      total: hits.length,
      totalIsLowerBound: false,
      collection: 'products_v1',
      modelId: FAKE_MODEL.modelId,
    };
  }

  async findSimilar(query: SimilarQuery, _context: RequestContext): Promise<SearchPage | undefined> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
    this.similarCalls.push(query);
    if (!this.knownProducts.has(query.productId)) return undefined;
    const hits = this.hits.filter((hit) => hit.product.productId !== query.productId);
    return { hits, collection: 'products_v1', modelId: FAKE_MODEL.modelId };
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

export interface FakePorts extends QueryApiPorts {
  embedder: FakeQueryEmbedder;
  searchIndex: FakeProductSearchIndex;
  remoteImages: FakeRemoteImages;
  preprocessor: FakePreprocessor;
  reindexPublisher: FakeReindexPublisher;
  reindexProgress: FakeReindexProgress;
  tagging: FakeTaggingIndex;
  labelEmbedder: FakeLabelTextEmbedder;
  describer: FakeProductDescriber;
}

/** Fakes of every port; `model` changes the fields of FAKE_MODEL the embedder describes (its thresholds, say). */
export function fakePorts(model: Partial<ModelInfo> = {}): FakePorts {
  return {
    embedder: new FakeQueryEmbedder({ ...FAKE_MODEL, ...model }),
    searchIndex: new FakeProductSearchIndex(),
    remoteImages: new FakeRemoteImages(),
    preprocessor: new FakePreprocessor(),
    reindexPublisher: new FakeReindexPublisher(),
    reindexProgress: new FakeReindexProgress(),
    tagging: new FakeTaggingIndex(),
    labelEmbedder: new FakeLabelTextEmbedder(),
    describer: new FakeProductDescriber(),
  };
}

/** Bytes that sniff as JPEG and that FakePreprocessor decodes. */
export function fakeJpeg(extraBytes = 0): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(extraBytes, 7), Buffer.from('END!', 'latin1')]);
}
