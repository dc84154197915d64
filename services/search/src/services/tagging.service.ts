/**
 * Zero-shot tagging in the search service: keeps the active tagging (read from the store, where
 * every replica reads it) compiled into a ZeroShotTagger, tags products at upsert from the vectors
 * being written, stores new taxonomies and re-tags the collection from its stored vectors (one
 * re-tag at a time; a taxonomy stored while one runs is queued, a newer one replacing it), and
 * answers previews, tag exports and classifications of stored products. Ingestion needs no change:
 * tags are computed here from vectors it already sends.
 */
import type {
  ActiveTagging,
  CollectionInfo,
  LabelPreview,
  LabelProbability,
  LabelVector,
  ProductTagPage,
  ProductWithImageVectors,
  PutTaggingResult,
  TaggingInput,
  TaggingStatus,
} from '@vsearch/contracts';
import { MAX_CLASSIFY_LABELS, PRODUCTS_ALIAS } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import { VectorStoreError, type VectorStore } from '@vsearch/vector-store';
import { classifyImages, normaliseInPlace, TaggingSetupError, ZeroShotTagger } from '@vsearch/zero-shot';
import type { SearchMetrics } from '../metrics/search.metrics';

/** Products read and tagged per page of a re-tag (one store write per page). */
const RETAG_PAGE = 1000;
const MAX_PREVIEW_LIMIT = 100;
const DEFAULT_EXPORT_PAGE = 500;
const MAX_EXPORT_PAGE = 1000;
/** How long a collection's model id is trusted before it is read again (an alias may be swapped). */
const MODEL_CACHE_MS = 5000;

interface RetagRun {
  collection: string;
  tagging: ActiveTagging;
  /** At start-up: finishes a re-tag a stop interrupted; a live collection that cannot be tagged is no error then. */
  resume?: boolean;
}

export class TaggingService {
  private active: { tagging: ActiveTagging; tagger: ZeroShotTagger } | undefined;
  private status: Omit<TaggingStatus, 'taxonomy' | 'modelId'> = { state: 'idle', productsTagged: 0, productsTotal: 0 };
  private running: Promise<void> | undefined;
  private queued: RetagRun | undefined;
  private readonly modelOf = new Map<string, { modelId: string; readAt: number }>();
  private closing = false;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: VectorStore,
    private readonly metrics: SearchMetrics,
    private readonly logger: Logger,
    private readonly options: { refreshMs?: number } = {},
  ) {}

  /**
   * Loads the stored active tagging, so upserts are tagged from the first one, and resumes the re-tag
   * of the live collection: products already carrying this version's tags are skipped, so after a
   * completed re-tag this only reads the vectors.
   */
  async open(): Promise<void> {
    const tagging = await this.store.readTagging();
    if (tagging) {
      this.active = { tagging, tagger: new ZeroShotTagger(tagging) };
      this.status = { state: 'done', productsTagged: 0, productsTotal: 0 };
      this.startRetag({ collection: PRODUCTS_ALIAS, tagging, resume: true });
    }
    // With Qdrant several search replicas share one store: a taxonomy stored through another replica
    // must reach this one's upsert tagging without a restart (TAGGING_REFRESH_MS).
    const refreshMs = this.options.refreshMs ?? 0;
    if (refreshMs > 0) {
      this.refreshTimer = setInterval(
        () => void this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'reading the stored tagging failed; keeping the one in use')),
        refreshMs,
      );
      this.refreshTimer.unref();
    }
  }

  /**
   * Reads the stored active tagging again and uses it for upserts when it is newer than the one in
   * use (another replica stored it). Only tags at upsert change here: the replica that stored the
   * taxonomy runs the re-tag. Returns the version in use afterwards.
   */
  async refresh(): Promise<number | undefined> {
    const stored = await this.store.readTagging();
    const inUse = this.active?.tagging.taxonomy.version;
    if (stored && (inUse === undefined || stored.taxonomy.version > inUse)) {
      this.active = { tagging: stored, tagger: new ZeroShotTagger(stored) };
      this.logger.info(
        { taxonomyVersion: stored.taxonomy.version, previousVersion: inUse ?? null },
        'a newer taxonomy was stored by another replica; upserts are tagged with it',
      );
    }
    return this.active?.tagging.taxonomy.version;
  }

  /** Resolves once no re-tag runs or waits (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops a running re-tag after its current page (the next start re-tags again from the stored taxonomy via PutTagging) and drops the queued one. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.refreshTimer);
    this.queued = undefined;
    await this.idle();
  }

  /** The products with tags of the active taxonomy when it was embedded with the collection's model; unchanged otherwise. */
  async tagForUpsert(collection: string, products: ProductWithImageVectors[]): Promise<ProductWithImageVectors[]> {
    const active = this.active;
    if (!active || products.length === 0) return products;
    if ((await this.collectionModel(collection)) !== active.tagging.modelId) return products;
    const dimension = active.tagger.dimension;
    const tagged = products.map((entry) => {
      // vectors of another dimension are refused by the store with its own message
      if (entry.images.some((image) => image.vector.length !== dimension)) return entry;
      const units = entry.images.map((image) => unitCopy(image.vector));
      if (units.some((unit) => unit === undefined)) return entry;
      return { ...entry, tags: active.tagger.tagImages(units as Float32Array[]), tagsVersion: active.tagging.taxonomy.version };
    });
    this.metrics.productsTagged.inc({ source: 'upsert' }, products.length);
    return tagged;
  }

  /**
   * Stores a taxonomy with its label vectors as the next version and re-tags `collection`; refused
   * when the vectors come from another model than the collection's, or do not fit the taxonomy.
   */
  async put(collection: string, input: TaggingInput): Promise<PutTaggingResult> {
    await this.assertModel(collection, input.modelId, 'the label vectors');
    compile({ ...input, taxonomy: { ...input.taxonomy, version: 0, createdAt: '' } });
    const tagging = await this.store.saveTagging(input);
    this.active = { tagging, tagger: new ZeroShotTagger(tagging) };
    const queued = this.running !== undefined;
    if (queued) this.queued = { collection, tagging };
    else this.startRetag({ collection, tagging });
    this.logger.info({ taxonomyVersion: tagging.taxonomy.version, modelId: tagging.modelId, queued }, 'taxonomy stored');
    return { taxonomyVersion: tagging.taxonomy.version, queued };
  }

  describe(): TaggingStatus {
    const tagging = this.active?.tagging;
    return {
      ...(tagging ? { taxonomy: tagging.taxonomy, modelId: tagging.modelId } : {}),
      ...this.status,
      ...(this.queued ? { queuedVersion: this.queued.tagging.taxonomy.version } : {}),
    };
  }

  /** Per label of `attribute`: how many products would get it and the `limit` most confident, for the active taxonomy or `candidate`. */
  async preview(collection: string, attribute: string, limit: number, candidate?: TaggingInput): Promise<LabelPreview[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PREVIEW_LIMIT)
      throw VectorStoreError.invalidArgument(`limit must be 1 to ${MAX_PREVIEW_LIMIT}, got ${limit}`);
    let tagger: ZeroShotTagger;
    if (candidate) {
      await this.assertModel(collection, candidate.modelId, 'the label vectors');
      tagger = compile({ ...candidate, taxonomy: { ...candidate.taxonomy, version: 0, createdAt: '' } });
    } else {
      if (!this.active) throw VectorStoreError.failedPrecondition('no taxonomy is stored yet: send one to preview, or store one first');
      tagger = this.active.tagger;
    }
    const labels = guard(() => tagger.labelsOf(attribute));
    const previews = labels.map((label) => ({ label, productCount: 0, products: [] as LabelPreview['products'] }));
    const byLabel = new Map(previews.map((preview) => [preview.label, preview]));
    let cursor: string | undefined;
    do {
      const page = await this.store.scanProducts(collection, { cursor, limit: RETAG_PAGE, withVectors: true });
      for (const product of page.products) {
        for (const tag of tagger.tagImages(product.vectors)) {
          if (tag.attribute !== attribute) continue;
          const preview = byLabel.get(tag.label)!;
          preview.productCount++;
          insertTop(preview.products, { productId: product.productId, title: product.title, imageUrl: product.imageUrl, confidence: tag.confidence }, limit);
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return previews;
  }

  /** One page of (product, tag) rows; the token is the store's scan cursor. */
  async listTags(collection: string, pageToken: string, pageSize: number): Promise<ProductTagPage> {
    const size = pageSize || DEFAULT_EXPORT_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_EXPORT_PAGE)
      throw VectorStoreError.invalidArgument(`page_size must be 1 to ${MAX_EXPORT_PAGE}, got ${pageSize}`);
    const page = await this.store.scanProducts(collection, { cursor: pageToken || undefined, limit: size, withVectors: false });
    return {
      rows: page.products.flatMap((product) => product.tags.map((tag) => ({ productId: product.productId, ...tag }))),
      ...(page.cursor === undefined ? {} : { nextPageToken: page.cursor }),
    };
  }

  /** Candidate labels ranked for a stored product (softmax over the model's logit scale). */
  async classify(collection: string, productId: string, labelVectors: LabelVector[], modelId: string, logitScale: number): Promise<LabelProbability[]> {
    if (labelVectors.length < 2 || labelVectors.length > MAX_CLASSIFY_LABELS) {
      throw VectorStoreError.invalidArgument(`classification needs 2 to ${MAX_CLASSIFY_LABELS} candidate labels, got ${labelVectors.length}`);
    }
    if (!(logitScale > 0)) throw VectorStoreError.invalidArgument(`logit_scale must be positive, got ${logitScale}`);
    await this.assertModel(collection, modelId, 'the label vectors');
    const images = await this.store.getProductVectors(collection, productId);
    if (!images) throw VectorStoreError.notFound(`product ${productId} is not stored`);
    return guard(() => classifyImages(images, labelVectors, logitScale));
  }

  private startRetag(run: RetagRun): void {
    this.running = this.retag(run)
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        const next = this.queued;
        this.queued = undefined;
        if (next) this.startRetag(next);
      });
  }

  /** Tags every product of the collection from its stored vectors, a page at a time; no image is fetched or embedded. */
  private async retag({ collection, tagging, resume }: RetagRun): Promise<void> {
    const tagger = new ZeroShotTagger(tagging);
    const version = tagging.taxonomy.version;
    const stopTimer = this.metrics.retagDuration.startTimer();
    try {
      const info = await this.liveCollection(collection, resume);
      if (!info) return;
      if (info.modelId !== tagging.modelId) {
        throw new Error(
          `collection ${info.name} holds vectors of model ${info.modelId}, the taxonomy's label vectors are of model ${tagging.modelId}: store the taxonomy again with label vectors of ${info.modelId}`,
        );
      }
      const total = info.productCount;
      this.status = { state: 'tagging', productsTagged: 0, productsTotal: total };
      let cursor: string | undefined;
      do {
        const page = await this.store.scanProducts(collection, { cursor, limit: RETAG_PAGE, withVectors: true });
        // products already tagged with this version (at upsert, or before a restart) keep their tags
        const updates = page.products
          .filter((product) => product.tagsVersion < version)
          .map((product) => ({ productId: product.productId, tags: tagger.tagImages(product.vectors) }));
        if (updates.length > 0) await this.store.setProductTags(collection, updates, version);
        this.status.productsTagged += page.products.length;
        this.metrics.productsTagged.inc({ source: 'retag' }, updates.length);
        cursor = page.cursor;
      } while (cursor !== undefined && !this.closing);
      if (this.closing) return;
      this.status = { state: 'done', productsTagged: this.status.productsTagged, productsTotal: Math.max(total, this.status.productsTagged) };
      stopTimer({ outcome: 'done' });
      this.logger.info({ taxonomyVersion: version, products: this.status.productsTagged }, 're-tag done');
    } catch (error) {
      this.status = { ...this.status, state: 'failed', error: (error as Error).message };
      stopTimer({ outcome: 'failed' });
      this.logger.error({ err: error, taxonomyVersion: version }, 're-tag failed');
      throw error;
    }
  }

  /** The collection to re-tag; at start-up, undefined when the alias points nowhere yet (nothing to tag). */
  private async liveCollection(collection: string, resume: boolean | undefined): Promise<CollectionInfo | undefined> {
    try {
      return await this.store.describeCollection(collection);
    } catch (error) {
      if (resume && error instanceof VectorStoreError && (error.kind === 'failed-precondition' || error.kind === 'not-found')) return undefined;
      throw error;
    }
  }

  private async assertModel(collection: string, modelId: string, what: string): Promise<void> {
    const info = await this.store.describeCollection(collection);
    this.modelOf.set(collection, { modelId: info.modelId, readAt: Date.now() });
    if (info.modelId !== modelId) {
      throw VectorStoreError.failedPrecondition(
        `${what} were embedded with model ${modelId}, but collection ${info.name} holds vectors of model ${info.modelId}`,
      );
    }
  }

  private async collectionModel(collection: string): Promise<string> {
    const cached = this.modelOf.get(collection);
    if (cached && Date.now() - cached.readAt < MODEL_CACHE_MS) return cached.modelId;
    const { modelId } = await this.store.describeCollection(collection);
    this.modelOf.set(collection, { modelId, readAt: Date.now() });
    return modelId;
  }
}

/** A tagger for a tagging, its setup errors (vectors not fitting the taxonomy) as INVALID_ARGUMENT. */
function compile(tagging: ActiveTagging): ZeroShotTagger {
  return guard(() => new ZeroShotTagger(tagging));
}

function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof TaggingSetupError || error instanceof RangeError) throw VectorStoreError.invalidArgument(error.message);
    throw error;
  }
}

/** A unit copy of a vector as written (the store normalises its own copy); undefined for a zero vector, which the store refuses. */
function unitCopy(vector: Float32Array): Float32Array | undefined {
  try {
    return normaliseInPlace(Float32Array.from(vector));
  } catch {
    return undefined;
  }
}

/** Keeps `list` the `limit` most confident, best first. */
function insertTop<T extends { confidence: number }>(list: T[], item: T, limit: number): void {
  if (list.length === limit && list[limit - 1].confidence >= item.confidence) return;
  let at = list.length;
  while (at > 0 && list[at - 1].confidence < item.confidence) at--;
  list.splice(at, 0, item);
  if (list.length > limit) list.pop();
}
