/** Fakes of ingestion's ports for unit tests: in memory, failing loudly on what a test did not set up. */
import type { ConsumedEvent, DeadLetterReason } from '@vsearch/event-log';
import {
  DependencyUnavailableError,
  RejectedByDependencyError,
  type CollectionInfo,
  type FailedImage,
  type GoldenQuerySet,
  type ImageVector,
  type ProductData,
  type ProductWithImageVectors,
  type StoredProduct,
  type WriteOutcome,
} from '@vsearch/contracts';
import {
  CollectionDamagedError,
  GenerationSearcher,
  GoldenQuerySource,
  ImageEmbedder,
  ImagePreprocessor,
  ImageSource,
  ImageUnavailableError,
  ProductIndexWriter,
  type DescribedModel,
  type EmbedderModel,
  type FetchedImageBytes,
  type ImageValidators,
  NOT_MODIFIED,
  type GateQuery,
} from '../ports';

/** A product with this title is refused by FakeProductIndex.upsertProducts (INVALID_ARGUMENT), with its whole batch. */
export const REFUSED_TITLE = 'refused by search';

export const FAKE_MODEL: EmbedderModel = { modelId: 'fake-model@1', dimension: 4, imageSize: 2 };

/**
 * Serves the bytes set up per URL, or throws the failure set up (a list: one failure per attempt, then bytes).
 * A URL with an ETag set up answers a conditional fetch naming it with NOT_MODIFIED (listed in `notModified`).
 */
export class FakeImageSource extends ImageSource {
  readonly images = new Map<string, Buffer | ImageUnavailableError | ImageUnavailableError[]>();
  readonly etags = new Map<string, string>();
  readonly fetched: string[] = [];
  readonly notModified: string[] = [];

  override async fetchImageIfModified(url: string, validators: ImageValidators): Promise<FetchedImageBytes | typeof NOT_MODIFIED> {
    if (validators.etag !== undefined && validators.etag === this.etags.get(url)) {
      this.notModified.push(url);
      return NOT_MODIFIED;
    }
    return this.fetchImage(url);
  }

  async fetchImage(url: string): Promise<FetchedImageBytes> {
    this.fetched.push(url);
    const entry = this.images.get(url);
    if (entry === undefined) throw new Error(`FakeImageSource: no image set up for ${url}`);
    if (Array.isArray(entry)) {
      const next = entry.shift();
      if (next) throw next;
      this.images.delete(url);
      return { bytes: Buffer.from(url), contentType: 'image/jpeg' };
    }
    if (entry instanceof ImageUnavailableError) throw entry;
    const etag = this.etags.get(url);
    return { bytes: entry, contentType: 'image/jpeg', ...(etag ? { etag } : {}) };
  }

  close(): void {}
}

/** Pixels derived from the bytes (so equal bytes give equal vectors); empty bytes cannot be decoded. Records the size of every decode. */
export class FakePreprocessor extends ImagePreprocessor {
  readonly decodedSizes: number[] = [];

  async toModelPixels(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    this.decodedSizes.push(size);
    if (bytes.length === 0) throw new ImageUnavailableError('decode', 'decode_failed', 'empty');
    const pixels = new Uint8Array(size * size * 3);
    pixels[0] = bytes[0];
    pixels[1] = bytes.length;
    return pixels;
  }
}

/**
 * Serves FAKE_MODEL, and `rolloutModels` beside it when set. A vector's last component is the
 * position of the model that made it (1: FAKE_MODEL, 2: the first rollout model, ...), so a test can
 * tell which model's vectors were written where.
 */
export class FakeEmbedder extends ImageEmbedder {
  calls: number[] = [];
  /** The model each embedPixels call named (undefined: the default). */
  readonly modelCalls: (string | undefined)[] = [];
  rolloutModels: EmbedderModel[] = [];
  down = false;

  async modelInfo(modelId?: string): Promise<DescribedModel> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'down');
    return { ...this.loaded(modelId).model, loadedModelIds: [FAKE_MODEL, ...this.rolloutModels].map((model) => model.modelId) };
  }

  async embedPixels(pixels: readonly Uint8Array[], modelId?: string): Promise<Float32Array[]> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'UNAVAILABLE');
    const { model, position } = this.loaded(modelId);
    for (const item of pixels) {
      if (item.length !== model.imageSize * model.imageSize * 3) throw new Error(`${item.length} bytes of pixels are not ${model.modelId}'s input size`);
    }
    this.calls.push(pixels.length);
    this.modelCalls.push(modelId);
    return pixels.map((p) => {
      const vector = new Float32Array(model.dimension);
      vector.set([p[0], p[1]]);
      vector[model.dimension - 1] = position;
      return vector;
    });
  }

  private loaded(modelId: string | undefined): { model: EmbedderModel; position: number } {
    const models = [FAKE_MODEL, ...this.rolloutModels];
    const index = modelId === undefined ? 0 : models.findIndex((model) => model.modelId === modelId);
    if (index < 0) throw new RejectedByDependencyError('embedder', 'NOT_FOUND', `model ${modelId} is not loaded`);
    return { model: models[index], position: index + 1 };
  }

  /** A text's vector as FakePreprocessor + embedPixels make one from image bytes equal to the text: a title finds the image whose bytes are that title. */
  async embedTexts(texts: readonly string[], modelId?: string): Promise<Float32Array[]> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'UNAVAILABLE');
    const { model, position } = this.loaded(modelId);
    return texts.map((text) => {
      const vector = new Float32Array(model.dimension);
      vector.set([Buffer.from(text)[0], Buffer.byteLength(text)]);
      vector[model.dimension - 1] = position;
      return vector;
    });
  }

  get embeddedImages(): number {
    return this.calls.reduce((sum, n) => sum + n, 0);
  }

  close(): void {}
}

/** What the fake keeps per product: the write as it came, vectors included. */
interface FakeStoredProduct {
  product: ProductData;
  images: ImageVector[];
  failedImages: FailedImage[];
}

export class FakeProductIndex extends ProductIndexWriter {
  readonly collections = new Map<string, { modelId: string; dimension: number; products: Map<string, FakeStoredProduct>; deleted: Map<string, number> }>();
  readonly aliases = new Map<string, string>();
  readonly writes: string[] = [];
  /**
   * Damage by collection name: listCollections reports it and every read or write of that
   * collection (or an alias pointing at it) is refused, as search refuses a damaged collection
   * (FAILED_PRECONDITION, COLLECTION_DAMAGED → CollectionDamagedError in the gRPC adapter).
   */
  readonly damage = new Map<string, string>();
  upsertCalls = 0;
  down = false;
  private generation = 0;

  /** Refuses vectors of another model than the collection's, as search does (FAILED_PRECONDITION). */
  async upsertProducts(collection: string, items: ProductWithImageVectors[], modelId: string): Promise<WriteOutcome[]> {
    const store = this.store(collection);
    if (modelId !== store.modelId) {
      throw new RejectedByDependencyError(
        'search',
        'FAILED_PRECONDITION',
        `collection ${collection} holds vectors of model ${store.modelId}; the request names model ${modelId}`,
      );
    }
    this.upsertCalls++;
    const refused = items.find(({ product }) => product.title === REFUSED_TITLE);
    if (refused) throw new RejectedByDependencyError('search', 'INVALID_ARGUMENT', `search refused ${refused.product.productId}`);
    return items.map(({ product, images, failedImages }) => {
      this.writes.push(`upsert ${collection} ${product.productId}@${product.version}`);
      const existing = store.products.get(product.productId)?.product.version ?? store.deleted.get(product.productId) ?? -1;
      if (existing > product.version) return 'stale';
      store.products.set(product.productId, { product, images, failedImages: failedImages ?? [] });
      store.deleted.delete(product.productId);
      return 'applied';
    });
  }

  async updateAttributes(collection: string, products: ProductData[]): Promise<WriteOutcome[]> {
    const store = this.store(collection);
    return products.map((product) => {
      this.writes.push(`attributes ${collection} ${product.productId}@${product.version}`);
      const stored = store.products.get(product.productId);
      if (!stored) return 'not_found';
      if (stored.product.version > product.version) return 'stale';
      stored.product = product;
      return 'applied';
    });
  }

  async deleteProduct(collection: string, productId: string, version: number): Promise<WriteOutcome> {
    const store = this.store(collection);
    this.writes.push(`delete ${collection} ${productId}@${version}`);
    const stored = store.products.get(productId);
    if (stored && stored.product.version > version) return 'stale';
    store.products.delete(productId);
    store.deleted.set(productId, version);
    return stored ? 'applied' : 'not_found';
  }

  async getProduct(collection: string, productId: string): Promise<StoredProduct | null> {
    const stored = this.store(collection).products.get(productId);
    return stored
      ? {
          product: stored.product,
          images: stored.images.map(({ imageId, imageUrl, content }) => ({ imageId, imageUrl, ...(content ? { content } : {}) })),
          failedImages: stored.failedImages.map((failed) => ({ ...failed })),
        }
      : null;
  }

  async listCollections(): Promise<CollectionInfo[]> {
    this.check();
    return [...this.collections].map(([name, c]) => ({
      name,
      modelId: c.modelId,
      dimension: c.dimension,
      productCount: c.products.size,
      pointCount: [...c.products.values()].reduce((points, product) => points + product.images.length, 0),
      aliases: [...this.aliases].filter(([, target]) => target === name).map(([alias]) => alias),
      ...(this.damage.has(name) ? { damage: this.damage.get(name) } : {}),
    }));
  }

  /** Like search: the next generation, or the named one (ALREADY_EXISTS when it exists). */
  async createCollection(modelId: string, dimension: number, requested?: string): Promise<string> {
    this.check();
    if (requested !== undefined && this.collections.has(requested))
      throw new RejectedByDependencyError('search', 'ALREADY_EXISTS', `search createCollection refused: collection ${requested} already exists`);
    const name = requested ?? `products_v${this.generation + 1}`;
    this.generation = Math.max(this.generation + (requested === undefined ? 1 : 0), Number(/_v(\d+)$/.exec(name)?.[1] ?? 0));
    this.collections.set(name, { modelId, dimension, products: new Map(), deleted: new Map() });
    return name;
  }

  async swapAlias(alias: string, collection: string): Promise<string | undefined> {
    const previous = this.aliases.get(alias);
    this.aliases.set(alias, collection);
    return previous;
  }

  async dropCollection(collection: string): Promise<void> {
    this.collections.delete(collection);
  }

  close(): void {}

  /** Products of a collection or alias, for a test's assertions (damaged or not). */
  products(collection: string): Map<string, FakeStoredProduct> {
    const store = this.collections.get(this.aliases.get(collection) ?? collection);
    if (!store) throw new Error(`FakeProductIndex: no collection ${collection}`);
    return store.products;
  }

  private check(): void {
    if (this.down) throw new DependencyUnavailableError('search', 'UNAVAILABLE');
  }

  private store(collection: string) {
    this.check();
    const name = this.aliases.get(collection) ?? collection;
    const store = this.collections.get(name);
    if (!store) throw new Error(`FakeProductIndex: no collection ${collection}`);
    const damage = this.damage.get(name);
    if (damage !== undefined) throw new CollectionDamagedError(collection, `collection ${name} is damaged: ${damage}`);
    return store;
  }
}

export class FakeDeadLetters {
  readonly letters: { message: ConsumedEvent; reason: DeadLetterReason }[] = [];
  async publishDeadLetter(message: ConsumedEvent, reason: DeadLetterReason): Promise<void> {
    this.letters.push({ message, reason });
  }
}

let offset = 0;
export function consumed(value: unknown, key?: string): ConsumedEvent {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return {
    topic: 'catalog.products.v1',
    partition: 0,
    offset: String(offset++),
    key: key ?? (value as { productId?: string })?.productId ?? null,
    value: Buffer.from(text),
    headers: {},
    timestamp: Date.now(),
  };
}

export function upserted(productId: string, version: number, images: { id: string; url: string }[], extra: Record<string, unknown> = {}) {
  return {
    type: 'product.upserted',
    productId,
    version,
    title: `Product ${productId}`,
    categories: ['women', 'dresses'],
    price: { amount: 10, currency: 'EUR' },
    inStock: true,
    images,
    occurredAt: new Date().toISOString(),
    ...extra,
  };
}

/** Vector search over FakeProductIndex: products by the Euclidean distance of their nearest image vector (the text of a hybrid query is ignored). */
export class FakeGenerationSearcher extends GenerationSearcher {
  readonly queries: { collection: string; modelId: string }[] = [];

  constructor(private readonly index: FakeProductIndex) {
    super();
  }

  async topProductIds(collection: string, modelId: string, query: GateQuery, limit: number): Promise<string[]> {
    this.queries.push({ collection, modelId });
    const stored = this.index.collections.get(collection);
    if (!stored) throw new Error(`FakeGenerationSearcher: no collection ${collection}`);
    if (stored.modelId !== modelId)
      throw new RejectedByDependencyError('search', 'FAILED_PRECONDITION', `${collection} holds ${stored.modelId}, not ${modelId}`);
    const distance = (vector: Float32Array) => Math.hypot(...[...vector].map((value, i) => value - query.vector[i]));
    return [...stored.products.values()]
      .filter((product) => product.images.length > 0)
      .map((product) => ({ id: product.product.productId, distance: Math.min(...product.images.map((image) => distance(image.vector))) }))
      .sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id))
      .slice(0, limit)
      .map((hit) => hit.id);
  }
}

export class FakeGoldenQueries extends GoldenQuerySource {
  set: GoldenQuerySet | undefined;

  async current(): Promise<GoldenQuerySet | undefined> {
    return this.set;
  }
}
