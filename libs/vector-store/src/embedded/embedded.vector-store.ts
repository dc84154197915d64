/**
 * The embedded vector store, the default on one machine: collections live in
 * memory (see EmbeddedCollection) and persist under `<dir>/collections/<name>`
 * (see CollectionStorage); aliases and the generation counter persist in
 * `<dir>/state.json`, rewritten atomically (temp file + rename), which is what
 * makes an alias swap atomic on disk as well as in memory.
 *
 * Versioned writes: each collection has one write queue, so the version check
 * (decideUpsert/decideDelete) and the write it guards run with no other write
 * in between: compare-and-set by serialisation, with no race window inside one
 * process. One process owns a data directory (the search service is the only
 * writer; a second instance on the same directory is not supported).
 *
 * Damage: a collection whose files fail verification on open (see
 * CollectionStorage) is kept, marked damaged (`CollectionInfo.damage` names
 * the file, offset and what is affected), and refused for every read and
 * write with `failed-precondition`, while the other collections serve. It is
 * never snapshotted, so its files stay as found and the damage is reported
 * again after a restart, until it is dropped (after the rebuild moved the
 * alias to a new generation; an alias cannot be pointed at it).
 *
 * The active zero-shot tagging (taxonomy, label vectors, model id) is `<dir>/tagging.json`, rewritten
 * atomically like `state.json`: one process owns the directory, so that is where every reader is.
 * The re-tag's progress is `<dir>/retag.json` beside it, written the same way; a lease found there
 * at open belonged to a process that is gone (one process owns the directory), so it is expired.
 *
 * Why our own engine and not @lancedb/lancedb: the store must keep per-product
 * tombstones, group image points per product, count facets over products and
 * swap aliases atomically, none of which LanceDB offers natively (each would
 * be a read-modify-write over its tables), and a native module is one more
 * thing `npm ci` must fetch on every CI run. Figures for the IVF index are in
 * docs/benchmarks.md (search section).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { VectorStoreError } from '../errors';
import {
  assertGenerationName,
  assertValidName,
  compareCollectionNames,
  generationExists,
  generationName,
  generationOf,
  targetName,
  unknownTarget,
} from '../naming';
import { canonicalFailedImages, canonicalProduct, matchedImageFields, canonicalImageRef } from '../product-data';
import { claimedRetagRecord, holdsRetag } from '../retag-lease';
import { SerialQueue } from '../serial-queue';
import type {
  ActiveTagging,
  CollectionInfo,
  ImageRef,
  ProductData,
  ProductScanPage,
  ProductTagsUpdate,
  RetagClaim,
  RetagClaimRequest,
  RetagProgress,
  TaggingInput,
  ProductWithImageVectors,
  SearchHit,
  SearchQuery,
  SearchPage,
  SimilarQuery,
  StoredProduct,
  UpsertOptions,
  WriteOutcome,
} from '../types';
import {
  assertCollectionModel,
  assertValidFilter,
  assertValidGeneration,
  assertValidPage,
  assertValidProduct,
  assertValidProductId,
  assertValidScoreThreshold,
  assertValidVersion,
  normalizedVector,
  validatedUpsertBatch,
} from '../validation';
import { resolveSearch } from '../search-mode';
import { VectorStore } from '../vector-store.port';
import { decideAttributeUpdate, decideDelete, decideUpsert } from '../versioning';
import { CollectionStorage, writeFileAtomically, type LoggedWrite, type StorageLog } from './collection-storage';
import { searchCollection } from './collection-search';
import { DEFAULT_INDEX_OPTIONS, EmbeddedCollection, type CollectionMeta, type EmbeddedIndexOptions } from './embedded-collection';
import { StorageDamageError } from './storage-damage';

export interface EmbeddedVectorStoreOptions {
  /** Directory holding the store (`DATA_DIR/vector-store`); unset keeps everything in memory. */
  dir?: string;
  /** fdatasync every write before acknowledging it (default true). */
  durable?: boolean;
  index?: Partial<EmbeddedIndexOptions>;
  /** Where storage reports what it repaired on its own (a torn log tail cut off); unset: not reported. */
  log?: StorageLog;
}

interface OpenCollection {
  collection: EmbeddedCollection;
  storage?: CollectionStorage;
  writes: SerialQueue;
  dropped: boolean;
  /** What the files failed on open (file, offset, what is affected); unset while intact. */
  damage?: string;
}

interface StoreState {
  aliases: Record<string, string>;
  lastGeneration: number;
}

export class EmbeddedVectorStore extends VectorStore {
  private readonly collections = new Map<string, OpenCollection>();
  private readonly aliases = new Map<string, string>();
  private lastGeneration = 0;
  private readonly admin = new SerialQueue();
  private readonly indexOptions: EmbeddedIndexOptions;
  private tagging: ActiveTagging | undefined;
  private retag: RetagProgress | undefined;
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(private readonly options: EmbeddedVectorStoreOptions = {}) {
    super();
    this.indexOptions = { ...DEFAULT_INDEX_OPTIONS, ...options.index };
  }

  async open(): Promise<void> {
    if (this.state !== 'new') return;
    const dir = this.options.dir;
    if (dir) {
      await fsp.mkdir(path.join(dir, 'collections'), { recursive: true });
      const state = await readState(dir);
      this.tagging = await readTagging(dir);
      const retag = await readRetagProgress(dir);
      this.retag = retag && { ...retag, leaseExpiresAt: new Date(0).toISOString() };
      this.lastGeneration = state.lastGeneration;
      for (const name of await fsp.readdir(path.join(dir, 'collections'))) {
        const collectionDir = path.join(dir, 'collections', name);
        if (name.startsWith('.dropped-')) {
          await fsp.rm(collectionDir, { recursive: true, force: true }); // a drop interrupted by a crash
          continue;
        }
        const opened = await this.openCollection(name, collectionDir);
        if (!opened) continue; // a half-created or half-dropped collection
        this.collections.set(name, opened);
        this.lastGeneration = Math.max(this.lastGeneration, generationOf(name) ?? 0);
      }
      for (const [alias, target] of Object.entries(state.aliases)) if (this.collections.has(target)) this.aliases.set(alias, target);
    }
    this.state = 'open';
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closed';
    await this.admin.run(async () => {
      for (const open of this.collections.values()) {
        await open.writes.run(async () => {
          open.collection.dispose();
          if (!open.storage) return;
          // A damaged collection's files stay as found: a snapshot of what loaded would make it look complete.
          if (!open.damage) await open.storage.snapshot(open.collection);
          await open.storage.close();
        });
      }
    });
  }

  async upsertProducts(collection: string | undefined, products: ProductWithImageVectors[], options: UpsertOptions = {}): Promise<WriteOutcome[]> {
    const open = this.resolveIntact(collection);
    assertCollectionModel(options.modelId, open.collection.meta.modelId, open.collection.meta.name);
    const vectors = validatedUpsertBatch(products, open.collection.dimension, open.collection.meta.name);
    return this.write(open, () => {
      const outcomes = products.map(({ product }) => decideUpsert(open.collection.versionOf(product.productId), product.version));
      const applied = products.flatMap((entry, i) => (outcomes[i] === 'applied' ? [i] : []));
      const write: LoggedWrite = {
        op: 'upsert',
        products: applied.map((i) => {
          const failedImages = canonicalFailedImages(products[i].failedImages);
          const { tags, tagsVersion } = products[i];
          return {
            product: canonicalProduct(products[i].product),
            images: products[i].images.map(canonicalImageRef),
            ...(failedImages.length > 0 ? { failedImages } : {}),
            ...(tagsVersion ? { tags: tags ?? [], tagsVersion } : {}),
          };
        }),
        vectors: applied.map((i) => vectors[i]),
      };
      return { outcomes, write: applied.length > 0 ? write : undefined };
    });
  }

  async updateAttributes(collection: string | undefined, products: ProductData[]): Promise<WriteOutcome[]> {
    const open = this.resolveIntact(collection);
    const seen = new Set<string>();
    for (const product of products) {
      assertValidProduct(product);
      if (seen.has(product.productId)) throw VectorStoreError.invalidArgument(`product ${product.productId} appears twice in one update`);
      seen.add(product.productId);
    }
    return this.write(open, () => {
      const outcomes = products.map((product) => decideAttributeUpdate(open.collection.versionOf(product.productId), product.version));
      const applied = products.filter((_, i) => outcomes[i] === 'applied').map(canonicalProduct);
      return { outcomes, write: applied.length > 0 ? { op: 'update', products: applied } : undefined };
    });
  }

  async deleteProduct(collection: string | undefined, productId: string, version: number): Promise<WriteOutcome> {
    const open = this.resolveIntact(collection);
    assertValidProductId(productId);
    assertValidVersion(version, productId);
    const [outcome] = await this.write(open, () => {
      const decided = decideDelete(open.collection.versionOf(productId), version);
      return { outcomes: [decided], write: decided === 'applied' ? { op: 'delete', productId, version } : undefined };
    });
    return outcome;
  }

  async getProduct(collection: string | undefined, productId: string): Promise<StoredProduct | undefined> {
    const open = this.resolveIntact(collection);
    assertValidProductId(productId);
    return open.collection.product(productId);
  }

  async searchSimilar(query: SearchQuery): Promise<SearchPage> {
    const open = this.resolveIntact(query.collection);
    const { collection } = open;
    assertCollectionModel(query.modelId, collection.meta.modelId, collection.meta.name);
    assertValidPage(query.limit, query.offset);
    assertValidFilter(query.filter);
    assertValidScoreThreshold(query.scoreThreshold);
    const resolved = resolveSearch(query);
    const unit = resolved.mode === 'keyword' ? undefined : normalizedVector(query.vector!, collection.dimension, 'query vector', collection.meta.name);
    const result = searchCollection(collection, {
      ...resolved,
      vector: unit,
      filter: query.filter,
      limit: query.limit,
      offset: query.offset ?? 0,
      scoreThreshold: query.scoreThreshold,
      withFacets: query.withFacets ?? false,
    });
    return { ...result, collection: collection.meta.name, modelId: collection.meta.modelId };
  }

  async similarToProduct(query: SimilarQuery): Promise<SearchPage> {
    const open = this.resolveIntact(query.collection);
    const { collection } = open;
    assertCollectionModel(query.modelId, collection.meta.modelId, collection.meta.name);
    assertValidProductId(query.productId);
    assertValidPage(query.limit, query.offset);
    assertValidFilter(query.filter);
    const vectors = collection.productVectors(query.productId);
    if (vectors.length === 0) throw VectorStoreError.notFound(`product ${query.productId} is not stored in collection ${collection.meta.name}`);
    const offset = query.offset ?? 0;
    const exclude = collection.ordinalOf(query.productId);
    // Score of a product = its best image against any of the source product's images.
    const best = new Map<string, SearchHit>();
    for (const vector of vectors) {
      const points = collection.topPoints(vector, query.filter, offset + query.limit, undefined, exclude);
      for (const hit of collection.groupByProduct(points)) {
        const known = best.get(hit.product.productId);
        if (!known || hit.score > known.score) best.set(hit.product.productId, toHit(hit));
      }
    }
    const hits = [...best.values()].sort((a, b) => b.score - a.score || a.product.productId.localeCompare(b.product.productId));
    return { hits: hits.slice(offset, offset + query.limit), collection: collection.meta.name, modelId: collection.meta.modelId };
  }

  async createGeneration(modelId: string, dimension: number, requestedName?: string): Promise<string> {
    this.assertOpen();
    assertValidGeneration(modelId, dimension);
    if (requestedName !== undefined) assertGenerationName(requestedName);
    return this.admin.run(async () => {
      if (requestedName !== undefined && this.collections.has(requestedName)) throw generationExists(requestedName);
      const name = requestedName ?? generationName(this.lastGeneration + 1);
      const meta = { name, modelId, dimension, createdAt: new Date().toISOString() };
      const collection = new EmbeddedCollection(meta, this.indexOptions);
      const storage = this.options.dir
        ? await CollectionStorage.create(path.join(this.options.dir, 'collections', name), meta, this.options.durable ?? true, this.options.log)
        : undefined;
      // A named generation may skip numbers; the next unnamed one still comes after every number used.
      this.lastGeneration = Math.max(this.lastGeneration + (requestedName === undefined ? 1 : 0), generationOf(name) ?? 0);
      await this.saveState();
      this.collections.set(name, { collection, storage, writes: new SerialQueue(), dropped: false });
      return name;
    });
  }

  async swapAlias(alias: string, collection: string): Promise<string | undefined> {
    this.assertOpen();
    assertValidName(alias, 'alias');
    assertValidName(collection, 'collection');
    return this.admin.run(async () => {
      if (this.collections.has(alias)) throw VectorStoreError.invalidArgument(`"${alias}" is a collection; an alias needs a name of its own`);
      if (!this.collections.has(collection)) {
        throw VectorStoreError.notFound(
          this.aliases.has(collection) ? `"${collection}" is an alias; point an alias at a collection` : `collection "${collection}" does not exist`,
        );
      }
      const damage = this.collections.get(collection)!.damage;
      if (damage) throw damagedCollection(collection, damage);
      const previous = this.aliases.get(alias);
      this.aliases.set(alias, collection);
      try {
        await this.saveState();
      } catch (error) {
        if (previous === undefined) this.aliases.delete(alias);
        else this.aliases.set(alias, previous);
        throw error;
      }
      return previous;
    });
  }

  async dropCollection(name: string): Promise<void> {
    this.assertOpen();
    assertValidName(name, 'collection');
    await this.admin.run(async () => {
      const open = this.collections.get(name);
      if (!open)
        throw this.aliases.has(name)
          ? VectorStoreError.invalidArgument(`"${name}" is an alias, not a collection`)
          : VectorStoreError.notFound(`collection "${name}" does not exist`);
      const aliases = this.aliasesOf(name);
      if (aliases.length > 0) {
        throw VectorStoreError.failedPrecondition(`collection ${name} is in use by alias ${aliases.join(', ')}; swap the alias to another collection first`);
      }
      await open.writes.run(async () => {
        open.dropped = true;
        this.collections.delete(name);
        open.collection.dispose();
        await open.storage?.close();
        if (open.storage) {
          // Renamed first (atomic), so a crash in the middle of the removal cannot leave a half collection that loads again.
          const doomed = path.join(path.dirname(open.storage.dir), `.dropped-${name}-${Date.now()}`);
          await fsp.rename(open.storage.dir, doomed);
          await fsp.rm(doomed, { recursive: true, force: true });
        }
      });
    });
  }

  async listCollections(): Promise<CollectionInfo[]> {
    this.assertOpen();
    return [...this.collections.values()]
      .map(({ collection, damage }) => ({
        name: collection.meta.name,
        modelId: collection.meta.modelId,
        dimension: collection.dimension,
        productCount: collection.productCount,
        pointCount: collection.pointCount,
        aliases: this.aliasesOf(collection.meta.name),
        ...(damage ? { damage } : {}),
      }))
      .sort((a, b) => compareCollectionNames(a.name, b.name));
  }

  async describeCollection(collection: string | undefined): Promise<CollectionInfo> {
    const { collection: target } = this.resolve(collection);
    const info = (await this.listCollections()).find((candidate) => candidate.name === target.meta.name);
    if (!info) throw VectorStoreError.notFound(`collection ${target.meta.name} was dropped`);
    return info;
  }

  async readTagging(): Promise<ActiveTagging | undefined> {
    this.assertOpen();
    return this.tagging;
  }

  async saveTagging(input: TaggingInput): Promise<ActiveTagging> {
    this.assertOpen();
    return this.admin.run(async () => {
      const tagging: ActiveTagging = {
        taxonomy: { ...input.taxonomy, version: (this.tagging?.taxonomy.version ?? 0) + 1, createdAt: new Date().toISOString() },
        modelId: input.modelId,
        logitScale: input.logitScale,
        labelVectors: input.labelVectors.map(({ attribute, label, vector }) => ({ attribute, label, vector: Float32Array.from(vector) })),
      };
      if (this.options.dir) await writeFileAtomically(path.join(this.options.dir, TAGGING_FILE), serialiseTagging(tagging));
      this.tagging = tagging;
      return tagging;
    });
  }

  async readRetagProgress(): Promise<RetagProgress | undefined> {
    this.assertOpen();
    return this.retag && { ...this.retag };
  }

  async claimRetag(claim: RetagClaimRequest): Promise<RetagClaim> {
    this.assertOpen();
    return this.admin.run(async () => {
      const claimed = claimedRetagRecord(this.retag, claim);
      if (!claimed) return { claimed: false, holder: { ...this.retag! } };
      await this.writeRetag(claimed);
      return { claimed: true, progress: { ...claimed } };
    });
  }

  async saveRetagProgress(progress: RetagProgress): Promise<boolean> {
    this.assertOpen();
    return this.admin.run(async () => {
      if (!holdsRetag(this.retag, progress)) return false;
      await this.writeRetag({ ...progress });
      return true;
    });
  }

  async setProductTags(collection: string | undefined, updates: ProductTagsUpdate[], taxonomyVersion: number): Promise<number> {
    const open = this.resolve(collection);
    if (!Number.isInteger(taxonomyVersion) || taxonomyVersion < 1)
      throw VectorStoreError.invalidArgument(`taxonomy version must be a positive integer, got ${taxonomyVersion}`);
    let applied = 0;
    await this.write(open, () => {
      const products = updates.filter(({ productId }) => {
        const stored = open.collection.tagsVersionOf(productId);
        return stored !== undefined && stored <= taxonomyVersion;
      });
      applied = products.length;
      return { outcomes: [], write: products.length > 0 ? { op: 'tags', taxonomyVersion, products } : undefined };
    });
    return applied;
  }

  async getProductVectors(collection: string | undefined, productId: string): Promise<Float32Array[] | undefined> {
    const { collection: target } = this.resolve(collection);
    assertValidProductId(productId);
    const vectors = target.productVectors(productId);
    return vectors.length > 0 ? vectors : undefined;
  }

  async scanProducts(collection: string | undefined, page: { cursor?: string; limit: number; withVectors: boolean }): Promise<ProductScanPage> {
    const { collection: target } = this.resolve(collection);
    const start = page.cursor === undefined ? 0 : Number(page.cursor);
    if (!Number.isInteger(start) || start < 0)
      throw VectorStoreError.invalidArgument(`scan cursor ${JSON.stringify(page.cursor)} is not one this store returned`);
    const { products, next } = target.productsFrom(start, page.limit, page.withVectors);
    return { products, ...(next === undefined ? {} : { cursor: String(next) }) };
  }

  /** Changes a collection's index settings at run time (benchmarks, operators); returns its IVF list count (0: every search scans all points). */
  tuneIndex(collection: string | undefined, options: Partial<Omit<EmbeddedIndexOptions, 'quantized'>>): number {
    const { collection: target } = this.resolveIntact(collection);
    target.tune(options);
    return target.indexLists;
  }

  private aliasesOf(name: string): string[] {
    return [...this.aliases.entries()]
      .filter(([, target]) => target === name)
      .map(([alias]) => alias)
      .sort();
  }

  private resolve(collection: string | undefined): OpenCollection {
    this.assertOpen();
    const name = targetName(collection);
    const open = this.collections.get(this.aliases.get(name) ?? name);
    if (!open) throw unknownTarget(name);
    return open;
  }

  /** The collection for a read or write: a damaged one is refused, never served as if complete. */
  private resolveIntact(collection: string | undefined): OpenCollection {
    const open = this.resolve(collection);
    if (open.damage) throw damagedCollection(open.collection.meta.name, open.damage);
    return open;
  }

  /**
   * Loads one collection's files. Damage does not stop the store: the collection is kept with
   * what loaded before the damage, marked damaged. Undefined when it has no metadata (its
   * creation did not finish).
   */
  private async openCollection(name: string, dir: string): Promise<OpenCollection | undefined> {
    const storage = new CollectionStorage(dir, this.options.durable ?? true, this.options.log);
    let meta: CollectionMeta | undefined;
    try {
      meta = await CollectionStorage.readMeta(dir);
    } catch (error) {
      // Model and dimension are unknown: an empty stand-in carries the name and the damage.
      const collection = new EmbeddedCollection({ name, modelId: '', dimension: 0, createdAt: '' }, { ...this.indexOptions, quantized: false });
      return { collection, storage, writes: new SerialQueue(), dropped: false, damage: describeDamage(error) };
    }
    if (!meta) return undefined;
    const collection = new EmbeddedCollection(meta, this.indexOptions);
    try {
      await storage.load(collection, (write) => applyWrite(collection, write));
    } catch (error) {
      return { collection, storage, writes: new SerialQueue(), dropped: false, damage: describeDamage(error) };
    }
    collection.maintainIndex();
    return { collection, storage, writes: new SerialQueue(), dropped: false };
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw VectorStoreError.unavailable(`the embedded vector store is ${this.state === 'new' ? 'not open yet' : 'closed'}`);
  }

  /**
   * Decides and applies one write under the collection's write queue: the
   * decision sees every earlier write, the log append makes it durable, and
   * only then does it become visible to searches.
   */
  private write(open: OpenCollection, decide: () => { outcomes: WriteOutcome[]; write?: LoggedWrite }): Promise<WriteOutcome[]> {
    return open.writes.run(async () => {
      if (open.dropped) throw VectorStoreError.notFound(`collection ${open.collection.meta.name} was dropped`);
      const { outcomes, write } = decide();
      if (write) {
        await open.storage?.append(write);
        applyWrite(open.collection, write);
        open.collection.maintainIndex();
        if (open.storage?.wantsSnapshot) await open.storage.snapshot(open.collection);
      }
      return outcomes;
    });
  }

  private async writeRetag(progress: RetagProgress): Promise<void> {
    if (this.options.dir) await writeFileAtomically(path.join(this.options.dir, RETAG_FILE), JSON.stringify(progress));
    this.retag = progress;
  }

  private async saveState(): Promise<void> {
    if (!this.options.dir) return;
    const state: StoreState = { aliases: Object.fromEntries(this.aliases), lastGeneration: this.lastGeneration };
    await writeFileAtomically(path.join(this.options.dir, 'state.json'), JSON.stringify(state, null, 2));
  }
}

const TAGGING_FILE = 'tagging.json';
const RETAG_FILE = 'retag.json';

async function readRetagProgress(dir: string): Promise<RetagProgress | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path.join(dir, RETAG_FILE), 'utf8')) as RetagProgress;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function serialiseTagging(tagging: ActiveTagging): string {
  return JSON.stringify({
    ...tagging,
    labelVectors: tagging.labelVectors.map(({ attribute, label, vector }) => ({
      attribute,
      label,
      vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64'),
    })),
  });
}

async function readTagging(dir: string): Promise<ActiveTagging | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, TAGGING_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const stored = JSON.parse(text) as Omit<ActiveTagging, 'labelVectors'> & { labelVectors: Array<{ attribute: string; label: string; vector: string }> };
  return {
    ...stored,
    labelVectors: stored.labelVectors.map(({ attribute, label, vector }) => {
      const bytes = Buffer.from(vector, 'base64');
      const floats = new Float32Array(bytes.length / 4);
      new Uint8Array(floats.buffer).set(bytes);
      return { attribute, label, vector: floats };
    }),
  };
}

function applyWrite(collection: EmbeddedCollection, write: LoggedWrite): void {
  if (write.op === 'upsert') {
    write.products.forEach(({ product, images, failedImages, tags, tagsVersion }, i) =>
      collection.applyUpsert(product, images, write.vectors[i], failedImages ?? [], tags ?? [], tagsVersion ?? 0),
    );
  } else if (write.op === 'tags') {
    for (const { productId, tags } of write.products) collection.applyTags(productId, tags, write.taxonomyVersion);
  } else if (write.op === 'update') {
    for (const product of write.products) collection.applyAttributeUpdate(product);
  } else {
    collection.applyDelete(write.productId, write.version);
  }
}

/** A load failure as CollectionInfo.damage: StorageDamageError already names file, offset and what is affected. */
function describeDamage(error: unknown): string {
  return error instanceof StorageDamageError ? error.message : `its files could not be read: ${(error as Error).message}`;
}

function damagedCollection(name: string, damage: string): VectorStoreError {
  return VectorStoreError.collectionDamaged(
    `collection ${name} is damaged and not served until it is rebuilt (ingestion rebuilds it from the catalog topic; or run \`vsearch reindex\`): ${damage}`,
  );
}

function toHit(hit: { product: ProductData; score: number; image: ImageRef }): SearchHit {
  return { product: hit.product, score: hit.score, ...matchedImageFields(hit.image) };
}

async function readState(dir: string): Promise<StoreState> {
  try {
    const state = JSON.parse(await fsp.readFile(path.join(dir, 'state.json'), 'utf8')) as Partial<StoreState>;
    return { aliases: state.aliases ?? {}, lastGeneration: state.lastGeneration ?? 0 };
  } catch {
    return { aliases: {}, lastGeneration: 0 };
  }
}
