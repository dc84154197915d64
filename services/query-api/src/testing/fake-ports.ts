/**
 * Fakes of the query API's ports for unit tests of the HTTP layer and the
 * logic around the adapters. Each records its calls; a fake whose behaviour
 * was not set up fails loudly instead of answering something plausible.
 */
import {
  DependencyUnavailableError,
  type GenerationInfo,
  type GoldenQuerySet,
  type ModelInfo,
  type ProductData,
  type ReindexTopicMessage,
  type SearchHit,
  type SearchPage,
} from '@vsearch/contracts';
import {
  ImageInputError,
  IndexModelMismatchError,
  ImagePreprocessor,
  ProductSearchIndex,
  QueryEmbedder,
  GenerationsSource,
  GoldenQueryStore,
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

/**
 * `model` is the default; `rolloutModels` are loaded beside it and chosen by id. Vectors of the
 * default model point along the first axes, a rollout model's along the last one, so a test can
 * tell which model made a vector.
 */
export class FakeQueryEmbedder extends QueryEmbedder {
  down = false;
  rolloutModels: ModelInfo[] = [];
  readonly textCalls: { text: string; requestId: string; modelId?: string }[] = [];
  readonly pixelCalls: { length: number; requestId: string; modelId?: string }[] = [];
  describeCalls = 0;

  constructor(public model: ModelInfo = FAKE_MODEL) {
    super();
  }

  async describeModel(_context: RequestContext, modelId?: string): Promise<ModelInfo> {
    const model = this.loaded(modelId);
    this.describeCalls++;
    return { ...model, loadedModelIds: [this.model, ...this.rolloutModels].map((loaded) => loaded.modelId) };
  }

  async embedQueryText(text: string, context: RequestContext, modelId?: string): Promise<Float32Array> {
    const model = this.loaded(modelId);
    this.textCalls.push({ text, requestId: context.requestId, modelId });
    return model === this.model ? Float32Array.from([1, 0, 0, 0]) : Float32Array.from([0, 0, 0, 1]);
  }

  async embedQueryPixels(pixels: Uint8Array, context: RequestContext, modelId?: string): Promise<Float32Array> {
    const model = this.loaded(modelId);
    if (pixels.length !== model.imageSize * model.imageSize * 3) throw new Error(`unexpected pixel count ${pixels.length}`);
    this.pixelCalls.push({ length: pixels.length, requestId: context.requestId, modelId });
    return model === this.model ? Float32Array.from([0, 1, 0, 0]) : Float32Array.from([0, 0, 0, 1]);
  }

  /** The named loaded model (unset: the default); a model not loaded is the embedder's outage, as the gRPC adapter reports it. */
  private loaded(modelId: string | undefined): ModelInfo {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    const model = modelId === undefined ? this.model : [this.model, ...this.rolloutModels].find((loaded) => loaded.modelId === modelId);
    if (!model) throw new DependencyUnavailableError('embedder', `model ${modelId} is not loaded`);
    return model;
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
  /** The model of the live generation; a query naming another is refused as search refuses it (MODEL_MISMATCH). */
  liveModel = FAKE_MODEL.modelId;
  liveModelCalls = 0;
  readonly refusedModels: string[] = [];

  async liveModelId(_context: RequestContext): Promise<string> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
    this.liveModelCalls++;
    return this.liveModel;
  }

  private guardModel(modelId: string | undefined): void {
    if (modelId === this.liveModel) return;
    this.refusedModels.push(String(modelId));
    throw new IndexModelMismatchError(`collection products_v1 holds vectors of model ${this.liveModel}; the request names model ${modelId}`);
  }

  /** Every hit matches; the cut-off applies to the vector ranking, so not in keyword mode. Facets and total count the matched hits. */
  async searchProducts(query: ProductQuery, context: RequestContext): Promise<SearchPage> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
    // The store's own checks: a mode without what it ranks by is a bug in the caller.
    if (query.mode !== 'keyword' && !query.vector) throw new Error(`${query.mode} search without a vector`);
    if (query.mode !== 'vector' && query.text === undefined) throw new Error(`${query.mode} search without text`);
    if (query.mode === 'vector' && query.text !== undefined) throw new Error('vector search given text it would ignore');
    if (query.vector) this.guardModel(query.modelId);
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
        modelId: this.liveModel,
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
      modelId: this.liveModel,
    };
  }

  async findSimilar(query: SimilarQuery, _context: RequestContext): Promise<SearchPage | undefined> {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
    this.guardModel(query.modelId);
    this.similarCalls.push(query);
    if (!this.knownProducts.has(query.productId)) return undefined;
    const hits = this.hits.filter((hit) => hit.product.productId !== query.productId);
    return { hits, collection: 'products_v1', modelId: this.liveModel };
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
  readonly published: ReindexTopicMessage[] = [];

  async publish(request: ReindexTopicMessage, _context: RequestContext): Promise<void> {
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

  async listJobs(_context: RequestContext): Promise<ReindexJob[]> {
    return [...this.jobs.values()].reverse();
  }

  async recordQueued(job: ReindexJob, _context: RequestContext): Promise<void> {
    if (!this.jobs.has(job.jobId)) this.jobs.set(job.jobId, job);
  }
}

export class FakeGenerations extends GenerationsSource {
  generations: GenerationInfo[] = [];

  async list(_context: RequestContext): Promise<GenerationInfo[]> {
    return this.generations;
  }
}

export class FakeGoldenQueryStore extends GoldenQueryStore {
  set: GoldenQuerySet | undefined;

  async get(_context: RequestContext): Promise<GoldenQuerySet | undefined> {
    return this.set;
  }

  async put(set: GoldenQuerySet, _context: RequestContext): Promise<void> {
    this.set = set;
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
  generations: FakeGenerations;
  goldenQueries: FakeGoldenQueryStore;
  describer: FakeProductDescriber;
}

/** Fakes of every port; `model` changes the fields of FAKE_MODEL the embedder describes (its thresholds, say). */
/** The ports of a query API whose live generation holds the embedder's default model (`model`). */
export function fakePorts(model: Partial<ModelInfo> = {}): FakePorts {
  const embedder = new FakeQueryEmbedder({ ...FAKE_MODEL, ...model });
  const searchIndex = new FakeProductSearchIndex();
  searchIndex.liveModel = embedder.model.modelId;
  return {
    embedder,
    searchIndex,
    remoteImages: new FakeRemoteImages(),
    preprocessor: new FakePreprocessor(),
    reindexPublisher: new FakeReindexPublisher(),
    reindexProgress: new FakeReindexProgress(),
    tagging: new FakeTaggingIndex(),
    labelEmbedder: new FakeLabelTextEmbedder(),
    generations: new FakeGenerations(),
    goldenQueries: new FakeGoldenQueryStore(),
    describer: new FakeProductDescriber(),
  };
}

/** Bytes that sniff as JPEG and that FakePreprocessor decodes. */
export function fakeJpeg(extraBytes = 0): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(extraBytes, 7), Buffer.from('END!', 'latin1')]);
}
