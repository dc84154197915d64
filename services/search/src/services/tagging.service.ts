/**
 * Zero-shot tagging in the search service: keeps the active tagging (read from the store, where
 * every replica reads it) compiled into a ZeroShotTagger, tags products at upsert from the vectors
 * being written, stores new taxonomies and re-tags the collection from its stored vectors, and
 * answers previews, tag exports and classifications of stored products. Ingestion needs no change:
 * tags are computed here from vectors it already sends.
 *
 * The re-tag's progress is a durable record in the store with a lease (VectorStore.claimRetag):
 * one replica re-tags at a time, every replica reports the same progress, a restarted or
 * replacing replica continues from the recorded cursor, and a replica whose lease holder died
 * takes over once the lease expired (checked every TAGGING_REFRESH_MS). A taxonomy stored while
 * a re-tag runs is queued: the holder, or whoever claims next, re-tags the newest stored version
 * when the run ends, so no version is lost and two are never applied at once.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
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
import { VectorStoreError, type RetagProgress, type VectorStore } from '@vsearch/vector-store';
import { classifyImages, normaliseInPlace, TaggingSetupError, ZeroShotTagger } from '@vsearch/zero-shot';
import type { SearchMetrics } from '../metrics/search.metrics';
import { HeldRetag } from './held-retag';

/** Products read and tagged per page of a re-tag (one store write and one progress write per page). */
const RETAG_PAGE = 1000;
const MAX_PREVIEW_LIMIT = 100;
const DEFAULT_EXPORT_PAGE = 500;
const MAX_EXPORT_PAGE = 1000;
/** How long a collection's model id is trusted before it is read again (an alias may be swapped). */
const MODEL_CACHE_MS = 5000;
const DEFAULT_LEASE_MS = 30_000;

interface RetagRequest {
  /** The collection a run from the beginning re-tags; a resumed run continues on the record's. */
  collection: string;
  /** At start-up: finishes an interrupted re-tag and retries a failed one; a live collection that cannot be tagged is no error then. */
  resume?: boolean;
  /** A claim won already (PutTagging claims before it answers). */
  claimed?: RetagProgress;
}

export interface TaggingOptions {
  /** How often the stored taxonomy is read again and an abandoned re-tag looked for (0: never). */
  refreshMs?: number;
  /** How long a re-tag lease lasts without renewal (RETAG_LEASE_MS). */
  leaseMs?: number;
  /** This replica's name in the re-tag record; unique per process unless given. */
  replicaId?: string;
  /** Products per re-tag page (default 1000). */
  retagPageSize?: number;
  /** This replica's clock for lease times (tests move it past a lease instead of waiting). */
  clock?: () => Date;
}

export class TaggingService {
  private active: { tagging: ActiveTagging; tagger: ZeroShotTagger } | undefined;
  private running: Promise<void> | undefined;
  /** A taxonomy stored through this replica while its re-tag ran: the collection PutTagging named. */
  private queued: string | undefined;
  private readonly modelOf = new Map<string, { modelId: string; readAt: number }>();
  private closing = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  readonly replicaId: string;
  private readonly leaseMs: number;
  private readonly clock: () => Date;

  constructor(
    private readonly store: VectorStore,
    private readonly metrics: SearchMetrics,
    private readonly logger: Logger,
    private readonly options: TaggingOptions = {},
  ) {
    this.replicaId = options.replicaId ?? `${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Loads the stored active tagging, so upserts are tagged from the first one, and resumes the re-tag
   * when its lease is free: an interrupted one continues from its recorded cursor (products already
   * carrying this version's tags are skipped), a failed one is tried again.
   */
  async open(): Promise<void> {
    const tagging = await this.store.readTagging();
    if (tagging) {
      this.active = { tagging, tagger: new ZeroShotTagger(tagging) };
      this.startRetag({ collection: PRODUCTS_ALIAS, resume: true });
    }
    // With Qdrant several search replicas share one store: a taxonomy stored through another replica
    // must reach this one's upsert tagging without a restart, and a re-tag whose holder died must
    // be taken over (TAGGING_REFRESH_MS).
    const refreshMs = this.options.refreshMs ?? 0;
    if (refreshMs > 0) {
      this.refreshTimer = setInterval(() => void this.checkStored(), refreshMs);
      this.refreshTimer.unref();
    }
  }

  /**
   * Reads the stored active tagging again and uses it for upserts when it is newer than the one in
   * use (another replica stored it). Returns the version in use afterwards.
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

  /**
   * The periodic check: the newest stored tagging, then the re-tag unless one runs here; it starts
   * only when the record needs a run and the lease is free (its holder died, or none claimed the
   * newest version).
   */
  async checkStored(): Promise<void> {
    try {
      await this.refresh();
      if (!this.running && !this.closing && this.active) this.startRetag({ collection: PRODUCTS_ALIAS });
    } catch (error) {
      this.logger.warn({ err: error }, 'reading the stored tagging failed; keeping the one in use');
    }
  }

  /** Resolves once no re-tag runs or waits here (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops a running re-tag after its current page and hands its lease back, so the next start (or another replica) continues it from its cursor. */
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
   * Queued when a re-tag runs (here or on another replica): its holder re-tags the newest version next.
   */
  async put(collection: string, input: TaggingInput): Promise<PutTaggingResult> {
    await this.assertModel(collection, input.modelId, 'the label vectors');
    compile({ ...input, taxonomy: { ...input.taxonomy, version: 0, createdAt: '' } });
    const tagging = await this.store.saveTagging(input);
    const version = tagging.taxonomy.version;
    if (version > (this.active?.tagging.taxonomy.version ?? 0)) this.active = { tagging, tagger: new ZeroShotTagger(tagging) };
    let queued = this.running !== undefined;
    if (queued) {
      this.queued = collection;
    } else {
      const claim = await this.store.claimRetag({ owner: this.replicaId, taxonomyVersion: version, leaseMs: this.leaseMs, now: this.clock() });
      queued = !claim.claimed;
      // a periodic check may have started a run meanwhile: it takes this version up (the lease is ours already)
      if (claim.claimed && this.running) this.queued = collection;
      else if (claim.claimed) this.startRetag({ collection, claimed: claim.progress });
    }
    this.logger.info({ taxonomyVersion: version, modelId: tagging.modelId, queued }, 'taxonomy stored');
    return { taxonomyVersion: version, queued };
  }

  /**
   * The active taxonomy and its re-tag's progress as the store records it, so every replica answers
   * alike. Until the active version's re-tag starts, the state is the older run's (or tagging 0/0)
   * with the active version as `queuedVersion`.
   */
  async describe(): Promise<TaggingStatus> {
    const record = await this.store.readRetagProgress();
    if (record && record.taxonomyVersion > (this.active?.tagging.taxonomy.version ?? 0)) await this.refresh();
    const tagging = this.active?.tagging;
    if (!tagging) return { state: 'idle', productsTagged: 0, productsTotal: 0 };
    const version = tagging.taxonomy.version;
    const base = { taxonomy: tagging.taxonomy, modelId: tagging.modelId };
    if (record?.taxonomyVersion === version) return { ...base, ...statusOf(record) };
    const waiting = record?.state === 'tagging' ? statusOf(record) : { state: 'tagging' as const, productsTagged: 0, productsTotal: 0 };
    return { ...base, ...waiting, queuedVersion: version };
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

  /** Runs re-tags until none is needed: after each, the newest stored version (stored meanwhile here or elsewhere) gets its turn. */
  private startRetag(request: RetagRequest): void {
    this.running = (async () => {
      let next: RetagRequest | undefined = request;
      while (next && !this.closing) {
        const ran: boolean = await this.retagIfClaimable(next).catch(() => false);
        const queued = this.queued;
        this.queued = undefined;
        next = ran || queued !== undefined ? { collection: queued ?? PRODUCTS_ALIAS } : undefined;
        if (next) await this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'reading the stored tagging failed'));
      }
    })().finally(() => {
      this.running = undefined;
      // a taxonomy stored between the loop's last look and here
      const queued = this.queued;
      this.queued = undefined;
      if (queued !== undefined && !this.closing) this.startRetag({ collection: queued });
    });
  }

  /** Claims and runs the re-tag of the active version when the record needs one; true when this replica ran it to its end. */
  private async retagIfClaimable(request: RetagRequest): Promise<boolean> {
    const tagging = this.active?.tagging;
    if (!tagging) return false;
    const version = tagging.taxonomy.version;
    let claimed = request.claimed?.taxonomyVersion === version ? request.claimed : undefined;
    if (!claimed) {
      const record = await this.store.readRetagProgress();
      if (!needsRun(record, version, request.resume === true)) return false;
      const claim = await this.store.claimRetag({ owner: this.replicaId, taxonomyVersion: version, leaseMs: this.leaseMs, now: this.clock() });
      if (!claim.claimed) return false;
      claimed = claim.progress;
    }
    const held = new HeldRetag(this.store, claimed, { leaseMs: this.leaseMs, clock: this.clock }, this.logger);
    try {
      return await this.retag(tagging, held, request);
    } finally {
      await held.stop();
    }
  }

  /**
   * Tags every product of the collection from its stored vectors, a page at a time, from the
   * claimed record's cursor; no image is fetched or embedded. Each page's progress renews the lease.
   */
  private async retag(tagging: ActiveTagging, held: HeldRetag, request: RetagRequest): Promise<boolean> {
    const tagger = new ZeroShotTagger(tagging);
    const version = tagging.taxonomy.version;
    const stopTimer = this.metrics.retagDuration.startTimer();
    const resumed = held.progress.collection !== '' ? held.progress : undefined;
    try {
      // a resumed run continues on its collection unless that was dropped meanwhile (then from the beginning)
      const info =
        (resumed && (await this.liveCollection(resumed.collection, true))) ??
        (await this.liveCollection(request.collection, request.resume || resumed !== undefined));
      if (!info) {
        await held.write({ collection: '', state: 'done', productsTagged: 0, productsTotal: 0, cursor: undefined }, 0);
        return true;
      }
      if (info.modelId !== tagging.modelId) {
        throw new Error(
          `collection ${info.name} holds vectors of model ${info.modelId}, the taxonomy's label vectors are of model ${tagging.modelId}: store the taxonomy again with label vectors of ${info.modelId}`,
        );
      }
      const continued = resumed?.collection === info.name ? resumed : undefined;
      let cursor = continued?.cursor;
      let productsTagged = continued?.productsTagged ?? 0;
      if (!(await held.write({ collection: info.name, productsTagged, productsTotal: info.productCount, cursor }))) return this.lost(version);
      if (productsTagged > 0) this.logger.info({ taxonomyVersion: version, productsTagged }, 're-tag continues from its recorded cursor');
      do {
        const page = await this.store.scanProducts(info.name, { cursor, limit: this.options.retagPageSize ?? RETAG_PAGE, withVectors: true });
        // products already tagged with this version (at upsert, or before a restart) keep their tags
        const updates = page.products
          .filter((product) => product.tagsVersion < version)
          .map((product) => ({ productId: product.productId, tags: tagger.tagImages(product.vectors) }));
        if (updates.length > 0) await this.store.setProductTags(info.name, updates, version);
        productsTagged += page.products.length;
        this.metrics.productsTagged.inc({ source: 'retag' }, updates.length);
        cursor = page.cursor;
        if (!(await held.write({ productsTagged, cursor }))) return this.lost(version);
      } while (cursor !== undefined && !this.closing);
      if (this.closing) {
        // handed back: the next start, here or on another replica, continues from the cursor
        await held.write({}, 0);
        return false;
      }
      const total = Math.max(held.progress.productsTotal, productsTagged);
      await held.write({ state: 'done', productsTotal: total, cursor: undefined }, 0);
      stopTimer({ outcome: 'done' });
      this.logger.info({ taxonomyVersion: version, products: productsTagged }, 're-tag done');
      return true;
    } catch (error) {
      if (error instanceof VectorStoreError && error.kind === 'unavailable') {
        // our own outage: the record stays `tagging`, and the next check (here, or another replica once the lease expired) continues it
        this.logger.warn({ err: error, taxonomyVersion: version }, 're-tag paused: the store is unavailable');
        throw error;
      }
      stopTimer({ outcome: 'failed' });
      this.logger.error({ err: error, taxonomyVersion: version }, 're-tag failed');
      await held.write({ state: 'failed', error: (error as Error).message }, 0).catch(() => undefined);
      throw error;
    }
  }

  private lost(version: number): boolean {
    this.logger.warn({ taxonomyVersion: version }, 're-tag lease lost to another replica; it continues the re-tag');
    return false;
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

/** Whether the record leaves the re-tag of `version` to be run: none yet, an older version's, an unfinished one (the claim decides whose), or a failed one at start-up. */
function needsRun(record: RetagProgress | undefined, version: number, resume: boolean): boolean {
  if (!record || record.taxonomyVersion < version) return true;
  if (record.taxonomyVersion > version) return false;
  return record.state === 'tagging' || (record.state === 'failed' && resume);
}

function statusOf(record: RetagProgress): Omit<TaggingStatus, 'taxonomy' | 'modelId'> {
  return {
    state: record.state,
    productsTagged: record.productsTagged,
    productsTotal: record.productsTotal,
    ...(record.state === 'failed' && record.error ? { error: record.error } : {}),
  };
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
