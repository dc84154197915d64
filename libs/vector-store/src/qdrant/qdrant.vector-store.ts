/**
 * The vector-store port over Qdrant (`@qdrant/js-client-rest`, server 1.19).
 *
 * Layout of a collection `products_v{n}` (one per index generation):
 * - a named vector `image` (cosine, the model's dimension); the collection's
 *   `metadata` records `{ modelId, dimension }` and every write and query is
 *   checked against it, so vectors of two models never share a collection;
 * - one *image point* per product image, id UUIDv5(productId, imageId), with
 *   the product's filter fields (categories, brand, price, inStock), the
 *   product data, the image id and URL;
 * - one *record point* per product, id UUIDv5(productId), without vectors:
 *   the product's version, data, image list and failed images (a key absent
 *   from records written before failures were recorded, read as none), or its
 *   tombstone (`deleted: true` with the delete's version). Facets count
 *   record points, so a product with five images counts once.
 * Payload indexes: productId, kind, categories, brand, price, inStock, deleted.
 *
 * Versioned writes: Qdrant has no compare-and-set, so a write reads the
 * record points of its products, decides with the shared rules
 * (decideUpsert/decideDelete/decideAttributeUpdate), writes the image points
 * and then the record point (the record is written last, so a crash between
 * the two leaves an older record and the redelivered write re-applies), all
 * while holding an in-process lock per product id. Within one search pod
 * there is therefore no race. Across pods a window remains between the read
 * and the write; it is bounded by how ingestion feeds us: catalog events are
 * keyed by productId, one consumer owns a partition and applies its events in
 * order, awaiting each acknowledgement, so two writes of one product only
 * overlap during a consumer-group rebalance, and the replay that follows
 * re-applies the newest event last, so the stored version converges to it.
 *
 * Search groups image hits per product server-side with the query-groups API
 * (group_by productId, group_size 1): exact one-row-per-product pages with no
 * guessed over-fetch factor. The groups API has no offset, so we ask for
 * offset + limit groups and slice (offset is bounded by SEARCH_LIMITS).
 *
 * Failures: connection errors, timeouts, 429 and 5xx become `unavailable`
 * (gRPC UNAVAILABLE) after retries with exponential backoff. Retried: reads
 * and idempotent writes (upserts of deterministic ids, deletes by filter,
 * payload sets, payload indexes, the alias swap, which names its final
 * state). Not retried: collection creation (a lost answer to a create that
 * succeeded would make the retry claim the next generation number, or
 * report ALREADY_EXISTS for a named one); the caller retries
 * CreateCollection as a whole (ingestion at start-up treats ALREADY_EXISTS of
 * the first generation as another replica's create and uses it).
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { VectorStoreError } from '../errors';
import { assertGenerationName, assertValidName, compareCollectionNames, generationExists, generationOf, targetName, unknownTarget } from '../naming';
import { canonicalFailedImages, canonicalProduct } from '../product-data';
import { KeyedSerialQueue } from '../serial-queue';
import { SEARCH_LIMITS, type CollectionInfo, type FacetCount, type FailedImage, type ProductData, type ImageRef, type ProductWithImageVectors, type SearchFilter, type SearchHit, type SearchQuery, type SearchPage, type SimilarQuery, type StoredProduct, type WriteOutcome } from '../types';
import {
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
import { VectorStore } from '../vector-store.port';
import { decideAttributeUpdate, decideDelete, decideUpsert, type StoredVersion } from '../versioning';
import { imagePointId, recordPointId } from './point-ids';
import { PAYLOAD, imageFilter, match, productRecordFilter } from './qdrant-filter';

export const IMAGE_VECTOR = 'image';

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Extra attempts for a request that failed transiently; default 3. */
  retries?: number;
  /** First backoff delay; doubles per attempt (with jitter). Default 200 ms. */
  backoffMs?: number;
  /** Points per upsert request; default 256. */
  upsertBatch?: number;
  hnsw?: { m?: number; efConstruct?: number; ef?: number };
  /** Scalar int8 quantization of the image vectors (kept in RAM, rescored with the originals). */
  quantization?: 'none' | 'int8';
}

interface CollectionMetadata {
  modelId: string;
  dimension: number;
}

interface RecordPayload {
  kind: 'product';
  productId: string;
  version: number;
  deleted: boolean;
  product?: ProductData;
  images?: ImageRef[];
  failedImages?: FailedImage[];
}

type Point = Schemas['PointStruct'];

export class QdrantVectorStore extends VectorStore {
  private readonly client: QdrantClient;
  private readonly locks = new KeyedSerialQueue();
  /** Collection metadata never changes after creation; cached by name, forgotten on drop. */
  private readonly metadata = new Map<string, CollectionMetadata>();
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly upsertBatch: number;

  constructor(private readonly options: QdrantVectorStoreOptions) {
    super();
    this.client = new QdrantClient({ url: options.url, apiKey: options.apiKey, timeout: options.timeoutMs ?? 10_000, checkCompatibility: false });
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.upsertBatch = options.upsertBatch ?? 256;
  }

  /** Checks that Qdrant answers (with retries); the service reports SERVING only after this. */
  async open(): Promise<void> {
    await this.request('list collections', () => this.client.getCollections());
  }

  async close(): Promise<void> {
    // The REST client keeps no state that needs closing.
  }

  async upsertProducts(collection: string | undefined, products: ProductWithImageVectors[]): Promise<WriteOutcome[]> {
    const { name, meta } = await this.resolve(collection);
    const vectors = validatedUpsertBatch(products, meta.dimension, name);
    return this.locks.runAll(
      products.map(({ product }) => product.productId),
      async () => {
        const stored = await this.storedVersions(name, products.map(({ product }) => product.productId));
        const outcomes = products.map(({ product }) => decideUpsert(stored.get(product.productId), product.version));
        const applied = products.flatMap((entry, i) => (outcomes[i] === 'applied' ? [{ ...entry, product: canonicalProduct(entry.product), vectors: vectors[i] }] : []));
        if (applied.length === 0) return outcomes;

        const imagePoints: Point[] = applied.flatMap(({ product, images, vectors: unit }) =>
          images.map((image, i) => ({
            id: imagePointId(product.productId, image.imageId),
            vector: { [IMAGE_VECTOR]: Array.from(unit[i]) },
            payload: { kind: 'image', ...filterFields(product), imageId: image.imageId, imageUrl: image.imageUrl ?? '', version: product.version, product },
          })),
        );
        for (let i = 0; i < imagePoints.length; i += this.upsertBatch) {
          const batch = imagePoints.slice(i, i + this.upsertBatch);
          await this.request('upsert image points', () => this.client.upsert(name, { wait: true, points: batch }));
        }
        // Images the new version no longer lists.
        for (const { product, images } of applied) {
          await this.request('delete replaced images', () =>
            this.client.delete(name, {
              wait: true,
              filter: {
                must: [match(PAYLOAD.kind, 'image'), match(PAYLOAD.productId, product.productId)],
                must_not: [{ key: PAYLOAD.imageId, match: { any: images.map((image) => image.imageId) } }],
              },
            }),
          );
        }
        const records: Point[] = applied.map(({ product, images, failedImages }) => ({
          id: recordPointId(product.productId),
          vector: {},
          payload: {
            kind: 'product',
            ...filterFields(product),
            version: product.version,
            deleted: false,
            product,
            images: images.map(({ imageId, imageUrl }) => ({ imageId, imageUrl: imageUrl ?? '' })),
            failedImages: canonicalFailedImages(failedImages),
          },
        }));
        await this.request('upsert product records', () => this.client.upsert(name, { wait: true, points: records }));
        return outcomes;
      },
    );
  }

  async updateAttributes(collection: string | undefined, products: ProductData[]): Promise<WriteOutcome[]> {
    const { name } = await this.resolve(collection);
    const seen = new Set<string>();
    for (const product of products) {
      assertValidProduct(product);
      if (seen.has(product.productId)) throw VectorStoreError.invalidArgument(`product ${product.productId} appears twice in one update`);
      seen.add(product.productId);
    }
    return this.locks.runAll(
      products.map((product) => product.productId),
      async () => {
        const stored = await this.storedVersions(name, products.map((product) => product.productId));
        const outcomes = products.map((product) => decideAttributeUpdate(stored.get(product.productId), product.version));
        for (const [i, raw] of products.entries()) {
          if (outcomes[i] !== 'applied') continue;
          const product = canonicalProduct(raw);
          // Image points and the record carry the same fields; the record (matched by productId too) is updated in the same request.
          await this.request('set product payload', () =>
            this.client.setPayload(name, {
              wait: true,
              payload: { ...filterFields(product), version: product.version, product },
              filter: { must: [match(PAYLOAD.productId, product.productId)] },
            }),
          );
        }
        return outcomes;
      },
    );
  }

  async deleteProduct(collection: string | undefined, productId: string, version: number): Promise<WriteOutcome> {
    const { name } = await this.resolve(collection);
    assertValidProductId(productId);
    assertValidVersion(version, productId);
    return this.locks.run(productId, async () => {
      const stored = await this.storedVersions(name, [productId]);
      const outcome = decideDelete(stored.get(productId), version);
      if (outcome !== 'applied') return outcome;
      await this.request('delete product images', () =>
        this.client.delete(name, { wait: true, filter: { must: [match(PAYLOAD.kind, 'image'), match(PAYLOAD.productId, productId)] } }),
      );
      const tombstone: Point = { id: recordPointId(productId), vector: {}, payload: { kind: 'product', productId, version, deleted: true } };
      await this.request('write tombstone', () => this.client.upsert(name, { wait: true, points: [tombstone] }));
      return outcome;
    });
  }

  async getProduct(collection: string | undefined, productId: string): Promise<StoredProduct | undefined> {
    const { name } = await this.resolve(collection);
    assertValidProductId(productId);
    const record = (await this.records(name, [productId])).get(productId);
    if (!record || record.deleted || !record.product) return undefined;
    return { product: record.product, images: record.images ?? [], failedImages: record.failedImages ?? [] };
  }

  async searchSimilar(query: SearchQuery): Promise<SearchPage> {
    assertValidPage(query.limit, query.offset);
    assertValidFilter(query.filter);
    assertValidScoreThreshold(query.scoreThreshold);
    return this.withResolvedRetry(query.collection, async (name, meta) => {
      // Compile fix only: hybrid and keyword search in Qdrant are the h/hyb-qdrant branch's.
      if (!query.vector) throw VectorStoreError.invalidArgument('a query vector is required');
      const unit = normalizedVector(query.vector, meta.dimension, 'query vector', name);
      const offset = query.offset ?? 0;
      const [hits, facets] = await Promise.all([
        this.groupedSearch(name, unit, query.filter, offset + query.limit, query.scoreThreshold),
        query.withFacets ? this.facets(name, query.filter).then((counted) => ({ ...counted, priceBands: [], stock: [] })) : Promise.resolve(undefined),
      ]);
      return { hits: hits.slice(offset, offset + query.limit), facets, collection: name, modelId: meta.modelId };
    });
  }

  async similarToProduct(query: SimilarQuery): Promise<SearchPage> {
    assertValidProductId(query.productId);
    assertValidPage(query.limit, query.offset);
    assertValidFilter(query.filter);
    return this.withResolvedRetry(query.collection, async (name, meta) => {
      const scrolled = await this.request('read product vectors', () =>
        this.client.scroll(name, {
          filter: { must: [match(PAYLOAD.kind, 'image'), match(PAYLOAD.productId, query.productId)] },
          with_vector: [IMAGE_VECTOR],
          with_payload: false,
          limit: 1000,
        }),
      );
      const vectors = scrolled.points.map((point) => vectorOf(point.vector)).filter((vector): vector is number[] => vector !== undefined);
      if (vectors.length === 0) throw VectorStoreError.notFound(`product ${query.productId} is not stored in collection ${name}`);
      const offset = query.offset ?? 0;
      // Score of a product = its best image against any of the source product's images (as in the embedded store).
      const best = new Map<string, SearchHit>();
      for (const vector of vectors) {
        for (const hit of await this.groupedSearch(name, vector, query.filter, offset + query.limit, undefined, query.productId)) {
          const known = best.get(hit.product.productId);
          if (!known || hit.score > known.score) best.set(hit.product.productId, hit);
        }
      }
      const hits = [...best.values()].sort((a, b) => b.score - a.score || a.product.productId.localeCompare(b.product.productId));
      return { hits: hits.slice(offset, offset + query.limit), collection: name, modelId: meta.modelId };
    });
  }

  async createGeneration(modelId: string, dimension: number, requestedName?: string): Promise<string> {
    assertValidGeneration(modelId, dimension);
    if (requestedName !== undefined) assertGenerationName(requestedName);
    for (let attempt = 0; attempt < 5; attempt++) {
      const names = requestedName === undefined ? await this.collectionNames() : [];
      const name = requestedName ?? `products_v${Math.max(0, ...names.map((existing) => generationOf(existing) ?? 0)) + 1}`;
      const hnsw = this.options.hnsw ?? {};
      const created = await this.request(
        'create collection',
        () =>
          this.client.createCollection(name, {
            vectors: { [IMAGE_VECTOR]: { size: dimension, distance: 'Cosine' } },
            hnsw_config: { m: hnsw.m ?? 16, ef_construct: hnsw.efConstruct ?? 128 },
            ...(this.options.quantization === 'int8' ? { quantization_config: { scalar: { type: 'int8', always_ram: true } } } : {}),
            metadata: { modelId, dimension, createdBy: 'visual-search' },
          }),
        0,
      ).then(
        () => true,
        (error: unknown) => {
          // Another search pod took this generation number first: try the next one.
          if (statusOf(error) === 409 || /already exists/i.test(String((error as { message?: string }).message))) return false;
          throw error;
        },
      );
      if (!created && requestedName !== undefined) throw generationExists(requestedName);
      if (!created) continue;
      for (const [field, schema] of [
        [PAYLOAD.productId, 'keyword'],
        [PAYLOAD.kind, 'keyword'],
        [PAYLOAD.categories, 'keyword'],
        [PAYLOAD.brand, 'keyword'],
        [PAYLOAD.price, 'float'],
        [PAYLOAD.inStock, 'bool'],
        [PAYLOAD.deleted, 'bool'],
      ] as const) {
        await this.request(`index ${field}`, () => this.client.createPayloadIndex(name, { wait: true, field_name: field, field_schema: schema }));
      }
      this.metadata.set(name, { modelId, dimension });
      return name;
    }
    throw VectorStoreError.unavailable('could not claim a new generation name: other search pods keep creating collections');
  }

  async swapAlias(alias: string, collection: string): Promise<string | undefined> {
    assertValidName(alias, 'alias');
    assertValidName(collection, 'collection');
    const [names, aliases] = await Promise.all([this.collectionNames(), this.aliases()]);
    if (names.includes(alias)) throw VectorStoreError.invalidArgument(`"${alias}" is a collection; an alias needs a name of its own`);
    if (!names.includes(collection)) {
      throw VectorStoreError.notFound(aliases.has(collection) ? `"${collection}" is an alias; point an alias at a collection` : `collection "${collection}" does not exist`);
    }
    const previous = aliases.get(alias);
    // Delete and create in one request: Qdrant applies the actions atomically, so no search sees the alias missing.
    const actions: Schemas['AliasOperations'][] = [
      ...(previous !== undefined ? [{ delete_alias: { alias_name: alias } }] : []),
      { create_alias: { collection_name: collection, alias_name: alias } },
    ];
    await this.request('swap alias', () => this.client.updateCollectionAliases({ actions }));
    return previous;
  }

  async dropCollection(name: string): Promise<void> {
    assertValidName(name, 'collection');
    const [names, aliases] = await Promise.all([this.collectionNames(), this.aliases()]);
    if (!names.includes(name)) {
      throw aliases.has(name) ? VectorStoreError.invalidArgument(`"${name}" is an alias, not a collection`) : VectorStoreError.notFound(`collection "${name}" does not exist`);
    }
    const using = [...aliases.entries()].filter(([, target]) => target === name).map(([alias]) => alias).sort();
    if (using.length > 0) throw VectorStoreError.failedPrecondition(`collection ${name} is in use by alias ${using.join(', ')}; swap the alias to another collection first`);
    await this.request('drop collection', () => this.client.deleteCollection(name));
    this.metadata.delete(name);
  }

  async listCollections(): Promise<CollectionInfo[]> {
    const [names, aliases] = await Promise.all([this.collectionNames(), this.aliases()]);
    const infos = await Promise.all(
      names.map(async (name) => {
        const meta = await this.collectionMetadata(name);
        const [products, points] = await Promise.all([
          this.request('count products', () => this.client.count(name, { filter: productRecordFilter(undefined), exact: true })),
          this.request('count image points', () => this.client.count(name, { filter: { must: [match(PAYLOAD.kind, 'image')] }, exact: true })),
        ]);
        return {
          name,
          modelId: meta?.modelId ?? '',
          dimension: meta?.dimension ?? 0,
          productCount: products.count,
          pointCount: points.count,
          aliases: [...aliases.entries()].filter(([, target]) => target === name).map(([alias]) => alias).sort(),
        };
      }),
    );
    return infos.sort((a, b) => compareCollectionNames(a.name, b.name));
  }

  private async groupedSearch(name: string, vector: Float32Array | number[], filter: SearchFilter | undefined, groups: number, scoreThreshold: number | undefined, excludeProductId?: string): Promise<SearchHit[]> {
    const result = await this.request('search', () =>
      this.client.queryGroups(name, {
        query: Array.from(vector),
        using: IMAGE_VECTOR,
        filter: imageFilter(filter, excludeProductId),
        group_by: PAYLOAD.productId,
        group_size: 1,
        limit: groups,
        ...(scoreThreshold !== undefined ? { score_threshold: scoreThreshold } : {}),
        with_payload: true,
        with_vector: false,
        ...this.searchParams(),
      }),
    );
    return result.groups.flatMap((group) => {
      const point = group.hits[0];
      const payload = point?.payload as { product?: ProductData; imageId?: string; imageUrl?: string } | null | undefined;
      if (!point || !payload?.product) return [];
      return [{ product: payload.product, score: point.score, matchedImageId: payload.imageId ?? '', matchedImageUrl: payload.imageUrl ?? '' }];
    });
  }

  private searchParams(): { params?: Schemas['SearchParams'] } {
    const params: Schemas['SearchParams'] = {};
    if (this.options.hnsw?.ef !== undefined) params.hnsw_ef = this.options.hnsw.ef;
    if (this.options.quantization === 'int8') params.quantization = { rescore: true };
    return Object.keys(params).length > 0 ? { params } : {};
  }

  private async facets(name: string, filter: SearchFilter | undefined): Promise<{ categories: FacetCount[]; brands: FacetCount[] }> {
    const count = async (key: string) => {
      const response = await this.request(`facet ${key}`, () => this.client.facet(name, { key, filter: productRecordFilter(filter), limit: SEARCH_LIMITS.facetValues, exact: true }));
      return response.hits
        .map((hit) => ({ value: String(hit.value), count: hit.count }))
        .filter((hit) => hit.value !== '')
        .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    };
    const [categories, brands] = await Promise.all([count(PAYLOAD.categories), count(PAYLOAD.brand)]);
    return { categories, brands };
  }

  private async storedVersions(name: string, productIds: string[]): Promise<Map<string, StoredVersion>> {
    const records = await this.records(name, productIds);
    return new Map([...records.entries()].map(([productId, record]) => [productId, { version: record.version, deleted: record.deleted }]));
  }

  private async records(name: string, productIds: string[]): Promise<Map<string, RecordPayload>> {
    const points = await this.request('read product records', () =>
      this.client.retrieve(name, { ids: productIds.map(recordPointId), with_payload: true, with_vector: false }),
    );
    const records = new Map<string, RecordPayload>();
    for (const point of points) {
      const payload = point.payload as RecordPayload | null | undefined;
      if (payload?.kind === 'product') records.set(payload.productId, payload);
    }
    return records;
  }

  /**
   * Resolves a name (alias first) to a collection and its metadata. An alias
   * swap between resolving and querying is harmless (the old collection still
   * answers); a drop in between is retried once on the new target.
   */
  private async withResolvedRetry<T>(collection: string | undefined, work: (name: string, meta: CollectionMetadata) => Promise<T>): Promise<T> {
    const first = await this.resolve(collection);
    try {
      return await work(first.name, first.meta);
    } catch (error) {
      if (statusOf(error) !== 404 && !(error instanceof VectorStoreError && error.kind === 'not-found' && /was dropped/.test(error.message))) throw error;
      this.metadata.delete(first.name);
      const second = await this.resolve(collection);
      return work(second.name, second.meta);
    }
  }

  private async resolve(collection: string | undefined): Promise<{ name: string; meta: CollectionMetadata }> {
    const target = targetName(collection);
    const aliases = await this.aliases();
    const name = aliases.get(target) ?? target;
    const meta = await this.collectionMetadata(name);
    if (!meta) throw unknownTarget(target);
    return { name, meta };
  }

  private async collectionMetadata(name: string): Promise<CollectionMetadata | undefined> {
    const cached = this.metadata.get(name);
    if (cached) return cached;
    let info: Schemas['CollectionInfo'];
    try {
      info = await this.request('read collection', () => this.client.getCollection(name));
    } catch (error) {
      if (statusOf(error) === 404 || (error instanceof VectorStoreError && error.kind === 'not-found')) return undefined;
      throw error;
    }
    const recorded = (info.config as { metadata?: Partial<CollectionMetadata> | null }).metadata ?? {};
    const vectors = info.config.params.vectors as Record<string, { size?: number }> | undefined;
    const meta = { modelId: String(recorded.modelId ?? ''), dimension: Number(recorded.dimension ?? vectors?.[IMAGE_VECTOR]?.size ?? 0) };
    this.metadata.set(name, meta);
    return meta;
  }

  private async collectionNames(): Promise<string[]> {
    const response = await this.request('list collections', () => this.client.getCollections());
    return response.collections.map((entry) => entry.name);
  }

  private async aliases(): Promise<Map<string, string>> {
    const response = await this.request('list aliases', () => this.client.getAliases());
    return new Map(response.aliases.map((entry) => [entry.alias_name, entry.collection_name]));
  }

  /** One Qdrant request with retries on transient failures; failures become VectorStoreErrors with a reason. */
  private async request<T>(what: string, send: () => Promise<T>, retries = this.retries): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const status = statusOf(error);
        const transient = isTransient(error);
        if (transient && attempt < retries) {
          const delay = this.backoffMs * 2 ** attempt * (0.5 + Math.random() / 2);
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        const reason = describe(error);
        if (transient) throw VectorStoreError.unavailable(`Qdrant at ${this.options.url} is unavailable (${what}: ${reason}, after ${attempt + 1} attempts)`, error);
        if (status === 404) throw Object.assign(VectorStoreError.notFound(`Qdrant ${what}: ${reason}`), { status });
        throw new Error(`Qdrant ${what} failed: ${reason}`, { cause: error });
      }
    }
  }
}

function filterFields(product: ProductData) {
  return { productId: product.productId, categories: product.categories, brand: product.brand, price: product.price.amount, inStock: product.inStock };
}

function vectorOf(vector: unknown): number[] | undefined {
  if (vector && typeof vector === 'object' && !Array.isArray(vector)) {
    const named = (vector as Record<string, unknown>)[IMAGE_VECTOR];
    return Array.isArray(named) ? (named as number[]) : undefined;
  }
  return undefined;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
  const name = (error as { name?: string } | null)?.name ?? '';
  if (/Timeout|ResourceExhausted|AbortError/.test(name)) return true;
  // fetch (undici) reports refused, reset or unresolvable connections as TypeError('fetch failed') with a cause.
  return error instanceof TypeError || /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket|fetch failed/i.test(describe(error));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const data = (error as { data?: { status?: { error?: string } } }).data;
  const detail = data?.status?.error;
  const cause = error.cause instanceof Error ? ` (${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message})` : '';
  return `${detail ?? error.message}${cause}`;
}
