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
 * Payload indexes: productId, kind, categories, brand, price, inStock, deleted,
 * terms (image points: the product's analyzed words, see keyword search),
 * tag_keys and tags_version (zero-shot tags, below).
 *
 * Zero-shot tags: every point of a product (image points and the record)
 * carries `tags` ([{attribute, label, confidence, taxonomy_version}]),
 * `tag_keys` (["pattern=striped"], what tag filters match and tag facets
 * count) and `tags_version` (0: untagged). An upsert writes the tags it
 * carries; attribute updates keep them; a delete drops them with the points.
 * Tag labels are words of the product: they are in its text vector and its
 * `terms`. `setProductTags` rewrites them without touching the image vectors,
 * a page of products per `points/batch` request: a `set_payload` (tags, keys,
 * terms, tags_version) filtered on productId and `tags_version <= v` (or
 * absent), then an `update_vectors` of the text vector with `update_filter`
 * `tags_version == v`. Qdrant evaluates both conditions at write time, so a
 * re-tag with an older taxonomy version never overwrites a newer one, even
 * from another replica between our read of the record and our write.
 * Collections created before tags lack the two indexes: tag filters still
 * work there (Qdrant filters unindexed fields by scanning), only slower.
 *
 * The active tagging (taxonomy, label vectors, model id) lives in a small
 * metadata collection `vsearch_meta` (under the prefix, hidden from the
 * generation list), not in collection metadata: the tagging belongs to the
 * store, not to one generation (a new generation of the same model inherits
 * it, and a dropped one must not take it along); label vectors can reach tens
 * of megabytes, which collection metadata, replicated through Qdrant's
 * consensus log with every collection change, should not carry; and a point
 * write has `update_mode: insert_only`, an insert-if-absent that collection
 * metadata (merged by PATCH) lacks. One head point per taxonomy version (id =
 * the version), its label vectors in chunk points (tagging-record.ts says
 * how); every replica reads the newest head on each readTagging.
 *
 * scanProducts scrolls the live record points in point-id order (stable, not
 * the order products were written in; the cursor is the next record's id) and,
 * with vectors, the page's image points with their `image` vector.
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
 * - a sparse vector `text` (`modifier: idf`) on every image point: the
 *   product's words as term ids with BM25-saturated weights, analyzed on our
 *   side (lexical/qdrant-sparse.ts says why not Qdrant's server-side BM25:
 *   the 1.19 spec still marks `Document` inference unimplemented, and its
 *   analyzer would find other products than the embedded store's). It sits on
 *   the image points because Qdrant fuses prefetches by point id.
 *   Collections created before it (or before the `terms` payload, recorded as
 *   `termsPayload: true` in the metadata) existed get no text vector added: keyword
 *   and hybrid searches on them fail `failed-precondition` naming the reindex
 *   that fixes it (adding the vector would leave every stored product without
 *   words until rewritten, a keyword search silently missing them); vector
 *   search and writes keep working there.
 *
 * Search (searchSimilar) is one `points/query/batch` request:
 * - vector: the image vector, cut at the score threshold;
 * - keyword: the text vector (Qdrant multiplies in the idf; no typo tolerance),
 *   restricted to the image points whose `terms` payload (keyword-indexed: the
 *   product's distinct analyzed terms) holds a form of every query word, one
 *   `match: {any}` condition per word (all-words-first, as the embedded store
 *   and e-commerce engines match). Only when that finds nothing does a probe
 *   batch (one `min_should` request per word count, a point each) find the most
 *   words any product holds, and the search runs again requiring that many;
 *   so a query costs a second and third request only when it had no
 *   all-words match;
 * - hybrid: the Query API with two prefetches under one filter, the image
 *   vector cut at the threshold and the text vector never cut, fused by Qdrant's
 *   `rrf` with the request's k (sent as k + 1: Qdrant counts ranks from 0) and
 *   weights; beside it, in the same batch, the two rankings alone, for each
 *   hit's vectorScore and keywordScore and to know whether a ranking was cut
 *   at its limit (Qdrant runs each ranking twice for it).
 * Each returns up to `candidatePoints` image points (default 2,000, or 4 ×
 * (offset + limit) for deep pages) with the few payload fields needed; we
 * collapse them to products (each product's best-ranked point, as group_by
 * with group_size 1 would), which is the matched set: `total` counts it, the
 * facets count it, `sort` orders it (stably: equal prices keep their
 * relevance order) and the page is sliced from it; the page's product data
 * is then read by point id. Not the groups API: it has no offset and no
 * count, and the matched set is needed whole anyway. When a ranking filled
 * its limit more products may match than were seen: `total` is then what
 * was seen and `totalIsLowerBound` is true (a smaller cap than the embedded
 * store's MATCH_COUNT_CAP, in points rather than products).
 * Fusion is by image point, not by product: a product's images each hold a
 * rank in the image ranking and all of them tie in the text ranking, so a
 * product with many images pushes others a few ranks down in both lists
 * (with k = 60 this moves fused scores little). For the same reason the idf
 * counts image points, and every point of the collection (product records
 * too) counts in Qdrant's N.
 *
 * "More like this" groups image hits per product server-side with the
 * query-groups API (group_by productId, group_size 1), asking for
 * offset + limit groups and slicing (offset is bounded by SEARCH_LIMITS).
 *
 * Names: with `collectionPrefix`, every collection and alias is stored
 * under prefix + name and only prefixed ones are seen (without the prefix),
 * so several deployments or test runs share one server without seeing each
 * other's generations.
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
import { randomUUID } from 'node:crypto';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { MATCH_COUNT_CAP, type SearchMode } from '@vsearch/contracts';
import { VectorStoreError } from '../errors';
import { assertGenerationName, assertValidName, compareCollectionNames, generationExists, generationOf, targetName, unknownTarget } from '../naming';
import {
  hybridFusion,
  productTextTerms,
  productTextVector,
  queryTextVector,
  queryWordConditions,
  textSparseVectorsConfig,
  textVectorUpdate,
  TEXT_VECTOR,
  type SparseVector,
} from '../lexical/qdrant-sparse';
import { lexicalTextOf } from '../lexical/lexical-fields';
import { canonicalFailedImages, canonicalProduct, matchedImageFields, canonicalImageRef } from '../product-data';
import { claimedRetagRecord, holdsRetag } from '../retag-lease';
import { resolveSearch } from '../search-mode';
import { KeyedSerialQueue } from '../serial-queue';
import {
  type ActiveTagging,
  type CollectionInfo,
  type FailedImage,
  type ProductScanPage,
  type ProductTagsUpdate,
  type ProductData,
  type ImageRef,
  type ProductWithImageVectors,
  type RetagClaim,
  type RetagClaimRequest,
  type RetagProgress,
  type SearchFilter,
  type SearchHit,
  type SearchQuery,
  type SearchPage,
  type SimilarQuery,
  type StoredProduct,
  type TaggingInput,
  type UpsertOptions,
  type WriteOutcome,
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
import { VectorStore } from '../vector-store.port';
import { decideAttributeUpdate, decideDelete, decideUpsert, type StoredVersion } from '../versioning';
import { imagePointId, recordPointId } from './point-ids';

import { bestScoreByProduct, facetsOfMatches, matchedProducts, sortedMatches, type MatchedProduct, type RankedPoint } from './matched-products';
import { PAYLOAD, imageFilter, match, productRecordFilter } from './qdrant-filter';
import { tagPayload, tagsOf, tagsVersionOf, TAG_PAYLOAD } from './tag-payload';
import {
  chunkPointId,
  isTaggingHead,
  META_COLLECTION,
  RETAG_POINT_ID,
  retagFrom,
  retagPayload,
  TAGGING_KIND,
  taggingFrom,
  taggingPoints,
  type TaggingHead,
} from './tagging-record';

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
  /**
   * Stored name of every collection and alias = prefix + name; only prefixed ones are seen, by
   * their names without it. Default none. Lets a test run or a second deployment share a server.
   */
  collectionPrefix?: string;
  /** Image points a search reads from each ranking to find its matched products; default 2,000 (see the header). */
  candidatePoints?: number;
}

interface CollectionMetadata {
  modelId: string;
  dimension: number;
  /** The collection has the sparse `text` vector (collections created before keyword search do not). */
  hasText: boolean;
}

/** Image points each ranking of a search returns at most, unless a deep page needs more. */
const DEFAULT_CANDIDATE_POINTS = 2_000;

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

interface RecordPayload {
  kind: 'product';
  productId: string;
  version: number;
  deleted: boolean;
  product?: ProductData;
  images?: ImageRef[];
  failedImages?: FailedImage[];
  /** Zero-shot tags (read with tagsOf, tagsVersionOf); absent on tombstones and records written before tags existed. */
  tags?: unknown;
  tags_version?: number;
  tag_keys?: string[];
}

/** What a hit reads of an image point's payload; `imageDescription` is written only for an image that has one. */
interface ImagePointPayload {
  product?: ProductData;
  imageId?: string;
  imageUrl?: string;
  imageDescription?: string;
}

function matchedImageOf(payload: ImagePointPayload): Pick<SearchHit, 'matchedImageId' | 'matchedImageUrl' | 'matchedImageDescription'> {
  return matchedImageFields({ imageId: payload.imageId ?? '', imageUrl: payload.imageUrl ?? '', description: payload.imageDescription });
}

/** Products per batch request of a re-tag (each a set-payload and an update-vectors operation). */
const TAG_BATCH = 256;

/** Image points read per scroll page when reading products' vectors. */
const VECTOR_PAGE = 512;

/** A point id we return as a scan cursor: a UUID (record point ids are UUIDv5). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Point = Schemas['PointStruct'];

/** What searchSimilar asks Qdrant for, settled from the query. */
interface SearchPlan {
  mode: SearchMode;
  /** The normalised query vector; absent in keyword mode. */
  unit: Float32Array | undefined;
  text: string;
  filter: Schemas['Filter'];
  scoreThreshold: number | undefined;
  fusion: { k: number; vectorWeight: number; keywordWeight: number };
  /** Image points each ranking returns at most. */
  pointLimit: number;
  /** Payload fields read with each matched point. */
  fields: string[];
}

export class QdrantVectorStore extends VectorStore {
  private readonly client: QdrantClient;
  private readonly locks = new KeyedSerialQueue();
  /** Collection metadata never changes after creation; cached by name, forgotten on drop. */
  private readonly metadata = new Map<string, CollectionMetadata>();
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly upsertBatch: number;
  private readonly prefix: string;
  private readonly candidatePoints: number;

  constructor(private readonly options: QdrantVectorStoreOptions) {
    super();
    this.prefix = options.collectionPrefix ?? '';
    if (this.prefix !== '' && !PREFIX.test(this.prefix)) {
      throw new RangeError(
        `Qdrant collectionPrefix ${JSON.stringify(this.prefix)} is not valid: use 1-64 letters, digits, '_' or '-', starting with a letter or digit`,
      );
    }
    this.candidatePoints = options.candidatePoints ?? DEFAULT_CANDIDATE_POINTS;
    if (!Number.isInteger(this.candidatePoints) || this.candidatePoints < 1)
      throw new RangeError(`Qdrant candidatePoints must be a positive integer, got ${this.candidatePoints}`);
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

  async upsertProducts(collection: string | undefined, products: ProductWithImageVectors[], options: UpsertOptions = {}): Promise<WriteOutcome[]> {
    const { name, meta } = await this.resolve(collection);
    assertCollectionModel(options.modelId, meta.modelId, name);
    const vectors = validatedUpsertBatch(products, meta.dimension, name);
    return this.locks.runAll(
      products.map(({ product }) => product.productId),
      async () => {
        const stored = await this.storedVersions(
          name,
          products.map(({ product }) => product.productId),
        );
        const outcomes = products.map(({ product }) => decideUpsert(stored.get(product.productId), product.version));
        // Tags come with their taxonomy version or not at all (as in the embedded store).
        const applied = products.flatMap((entry, i) =>
          outcomes[i] === 'applied'
            ? [
                {
                  ...entry,
                  product: canonicalProduct(entry.product),
                  vectors: vectors[i],
                  tags: entry.tagsVersion ? (entry.tags ?? []) : [],
                  tagsVersion: entry.tagsVersion ?? 0,
                },
              ]
            : [],
        );
        if (applied.length === 0) return outcomes;

        const imagePoints: Point[] = applied.flatMap(({ product, images, vectors: unit, tags, tagsVersion }) => {
          // Every image point carries the words (tag labels among them): Qdrant fuses the two rankings by point id.
          const words = lexicalTextOf(product, tags, images);
          const text = meta.hasText ? { [TEXT_VECTOR]: productTextVector(words) } : {};
          const terms = meta.hasText ? { [PAYLOAD.terms]: productTextTerms(words) } : {};
          return images.map((image, i) => ({
            id: imagePointId(product.productId, image.imageId),
            vector: { [IMAGE_VECTOR]: Array.from(unit[i]), ...text },
            payload: {
              kind: 'image',
              ...filterFields(product),
              ...terms,
              imageId: image.imageId,
              imageUrl: image.imageUrl ?? '',
              ...(image.description ? { imageDescription: image.description } : {}),
              version: product.version,
              product,
              ...tagPayload(tags, tagsVersion),
            },
          }));
        });
        for (let i = 0; i < imagePoints.length; i += this.upsertBatch) {
          const batch = imagePoints.slice(i, i + this.upsertBatch);
          await this.request('upsert image points', () => this.client.upsert(this.stored(name), { wait: true, points: batch }));
        }
        // Images the new version no longer lists.
        for (const { product, images } of applied) {
          await this.request('delete replaced images', () =>
            this.client.delete(this.stored(name), {
              wait: true,
              filter: {
                must: [match(PAYLOAD.kind, 'image'), match(PAYLOAD.productId, product.productId)],
                must_not: [{ key: PAYLOAD.imageId, match: { any: images.map((image) => image.imageId) } }],
              },
            }),
          );
        }
        const records: Point[] = applied.map(({ product, images, failedImages, tags, tagsVersion }) => ({
          id: recordPointId(product.productId),
          vector: {},
          payload: {
            kind: 'product',
            ...filterFields(product),
            version: product.version,
            deleted: false,
            product,
            images: images.map(canonicalImageRef),
            failedImages: canonicalFailedImages(failedImages),
            ...tagPayload(tags, tagsVersion),
          },
        }));
        await this.request('upsert product records', () => this.client.upsert(this.stored(name), { wait: true, points: records }));
        return outcomes;
      },
    );
  }

  async updateAttributes(collection: string | undefined, products: ProductData[]): Promise<WriteOutcome[]> {
    const { name, meta } = await this.resolve(collection);
    const seen = new Set<string>();
    for (const product of products) {
      assertValidProduct(product);
      if (seen.has(product.productId)) throw VectorStoreError.invalidArgument(`product ${product.productId} appears twice in one update`);
      seen.add(product.productId);
    }
    return this.locks.runAll(
      products.map((product) => product.productId),
      async () => {
        const records = await this.records(
          name,
          products.map((product) => product.productId),
        );
        const outcomes = products.map((product) => decideAttributeUpdate(storedVersionOf(records.get(product.productId)), product.version));
        for (const [i, raw] of products.entries()) {
          if (outcomes[i] !== 'applied') continue;
          const product = canonicalProduct(raw);
          const record = records.get(product.productId);
          const images = record?.images ?? [];
          // The product keeps its tags: their labels stay among its words.
          const words = lexicalTextOf(product, tagsOf(record), images);
          if (meta.hasText && images.length > 0) {
            // The words may have changed: rewrite the text vector of each image point (before the payload, whose version marks the write done).
            const update = textVectorUpdate(
              images.map((image) => imagePointId(product.productId, image.imageId)),
              words,
            );
            await this.request('update text vectors', () => this.client.updateVectors(this.stored(name), { wait: true, ...update }));
          }
          // Image points and the record carry the same fields; the record (matched by productId too) is updated in the same request.
          await this.request('set product payload', () =>
            this.client.setPayload(this.stored(name), {
              wait: true,
              // The record gets the terms too (one request for both); only image points are searched by them.
              payload: { ...filterFields(product), ...(meta.hasText ? { [PAYLOAD.terms]: productTextTerms(words) } : {}), version: product.version, product },
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
        this.client.delete(this.stored(name), { wait: true, filter: { must: [match(PAYLOAD.kind, 'image'), match(PAYLOAD.productId, productId)] } }),
      );
      const tombstone: Point = { id: recordPointId(productId), vector: {}, payload: { kind: 'product', productId, version, deleted: true } };
      await this.request('write tombstone', () => this.client.upsert(this.stored(name), { wait: true, points: [tombstone] }));
      return outcome;
    });
  }

  async getProduct(collection: string | undefined, productId: string): Promise<StoredProduct | undefined> {
    const { name } = await this.resolve(collection);
    assertValidProductId(productId);
    const record = (await this.records(name, [productId])).get(productId);
    if (!record || record.deleted || !record.product) return undefined;
    const tags = tagsOf(record);
    return {
      product: record.product,
      images: (record.images ?? []).map(canonicalImageRef),
      failedImages: record.failedImages ?? [],
      ...(tags.length > 0 ? { tags } : {}),
    };
  }

  async searchSimilar(query: SearchQuery): Promise<SearchPage> {
    assertValidPage(query.limit, query.offset);
    assertValidFilter(query.filter);
    assertValidScoreThreshold(query.scoreThreshold);
    const { mode, sort, fusion } = resolveSearch(query);
    return this.withResolvedRetry(query.collection, async (name, meta) => {
      assertCollectionModel(query.modelId, meta.modelId, name);
      if (mode !== 'vector' && !meta.hasText) {
        throw VectorStoreError.failedPrecondition(
          `collection ${name} was created before keyword search (or before its all-words matching) and holds no searchable words: ${mode} search needs a reindex into a new generation (vector search still works)`,
        );
      }
      const unit = mode === 'keyword' ? undefined : normalizedVector(query.vector as Float32Array, meta.dimension, 'query vector', name);
      const offset = query.offset ?? 0;
      const fields = [
        PAYLOAD.productId,
        ...(query.withFacets ? [PAYLOAD.categories, PAYLOAD.brand, PAYLOAD.price, PAYLOAD.inStock, PAYLOAD.tagKeys] : []),
        ...(sort === 'newest' ? [PAYLOAD.updatedAt] : sort === 'relevance' ? [] : [PAYLOAD.price]),
      ];
      const matched = await this.matchedSet(name, {
        mode,
        unit,
        text: query.text ?? '',
        filter: imageFilter(query.filter),
        scoreThreshold: query.scoreThreshold,
        fusion,
        pointLimit: Math.max(this.candidatePoints, 4 * (offset + query.limit)),
        fields: [...new Set(fields)],
      });
      const page = sortedMatches(matched.products, sort).slice(offset, offset + query.limit);
      return {
        hits: await this.pageHits(name, page),
        ...(query.withFacets ? { facets: facetsOfMatches(matched.products) } : {}),
        total: Math.min(matched.products.length, MATCH_COUNT_CAP),
        totalIsLowerBound: matched.truncated || matched.products.length > MATCH_COUNT_CAP,
        collection: name,
        modelId: meta.modelId,
      };
    });
  }

  async similarToProduct(query: SimilarQuery): Promise<SearchPage> {
    assertValidProductId(query.productId);
    assertValidPage(query.limit, query.offset);
    assertValidFilter(query.filter);
    return this.withResolvedRetry(query.collection, async (name, meta) => {
      assertCollectionModel(query.modelId, meta.modelId, name);
      const scrolled = await this.request('read product vectors', () =>
        this.client.scroll(this.stored(name), {
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
          this.client.createCollection(this.stored(name), {
            vectors: { [IMAGE_VECTOR]: { size: dimension, distance: 'Cosine' } },
            sparse_vectors: textSparseVectorsConfig(),
            hnsw_config: { m: hnsw.m ?? 16, ef_construct: hnsw.efConstruct ?? 128 },
            ...(this.options.quantization === 'int8' ? { quantization_config: { scalar: { type: 'int8', always_ram: true } } } : {}),
            metadata: { modelId, dimension, createdBy: 'visual-search', termsPayload: true },
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
        [PAYLOAD.terms, 'keyword'],
        [PAYLOAD.tagKeys, 'keyword'],
        [TAG_PAYLOAD.tagsVersion, 'integer'],
      ] as const) {
        await this.request(`index ${field}`, () => this.client.createPayloadIndex(this.stored(name), { wait: true, field_name: field, field_schema: schema }));
      }
      this.metadata.set(name, { modelId, dimension, hasText: true });
      return name;
    }
    throw VectorStoreError.unavailable('could not claim a new generation name: other search pods keep creating collections');
  }

  async swapAlias(alias: string, collection: string): Promise<string | undefined> {
    assertValidName(alias, 'alias');
    assertValidName(collection, 'collection');
    const [names, aliases] = await Promise.all([this.collectionNames(), this.aliases()]);
    if (names.includes(alias) || alias === META_COLLECTION)
      throw VectorStoreError.invalidArgument(`"${alias}" is a collection; an alias needs a name of its own`);
    if (!names.includes(collection)) {
      throw VectorStoreError.notFound(
        aliases.has(collection) ? `"${collection}" is an alias; point an alias at a collection` : `collection "${collection}" does not exist`,
      );
    }
    const previous = aliases.get(alias);
    // Delete and create in one request: Qdrant applies the actions atomically, so no search sees the alias missing.
    const actions: Schemas['AliasOperations'][] = [
      ...(previous !== undefined ? [{ delete_alias: { alias_name: this.stored(alias) } }] : []),
      { create_alias: { collection_name: this.stored(collection), alias_name: this.stored(alias) } },
    ];
    await this.request('swap alias', () => this.client.updateCollectionAliases({ actions }));
    return previous;
  }

  async dropCollection(name: string): Promise<void> {
    assertValidName(name, 'collection');
    const [names, aliases] = await Promise.all([this.collectionNames(), this.aliases()]);
    if (!names.includes(name)) {
      throw aliases.has(name)
        ? VectorStoreError.invalidArgument(`"${name}" is an alias, not a collection`)
        : VectorStoreError.notFound(`collection "${name}" does not exist`);
    }
    const using = [...aliases.entries()]
      .filter(([, target]) => target === name)
      .map(([alias]) => alias)
      .sort();
    if (using.length > 0)
      throw VectorStoreError.failedPrecondition(`collection ${name} is in use by alias ${using.join(', ')}; swap the alias to another collection first`);
    await this.request('drop collection', () => this.client.deleteCollection(this.stored(name)));
    this.metadata.delete(name);
  }

  async listCollections(): Promise<CollectionInfo[]> {
    const [names, aliases] = await Promise.all([this.collectionNames(), this.aliases()]);
    const infos = await Promise.all(
      names.map(async (name) => {
        const meta = await this.collectionMetadata(name);
        const [products, points] = await Promise.all([
          this.request('count products', () => this.client.count(this.stored(name), { filter: productRecordFilter(undefined), exact: true })),
          this.request('count image points', () => this.client.count(this.stored(name), { filter: { must: [match(PAYLOAD.kind, 'image')] }, exact: true })),
        ]);
        return {
          name,
          modelId: meta?.modelId ?? '',
          dimension: meta?.dimension ?? 0,
          productCount: products.count,
          pointCount: points.count,
          aliases: [...aliases.entries()]
            .filter(([, target]) => target === name)
            .map(([alias]) => alias)
            .sort(),
        };
      }),
    );
    return infos.sort((a, b) => compareCollectionNames(a.name, b.name));
  }

  async describeCollection(collection: string | undefined): Promise<CollectionInfo> {
    const { name } = await this.resolve(collection);
    const info = (await this.listCollections()).find((candidate) => candidate.name === name);
    if (!info) throw VectorStoreError.notFound(`collection "${name}" does not exist`);
    return info;
  }

  /**
   * The active tagging: the head point of the highest taxonomy version in the metadata collection
   * and its chunks, read fresh on every call (another replica may have saved one). A head whose
   * chunks were pruned meanwhile (two newer saves between our two reads) is read again.
   */
  async readTagging(): Promise<ActiveTagging | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const versions = await this.taggingVersions();
      if (versions.length === 0) return undefined;
      const tagging = await this.taggingAt(versions[versions.length - 1]);
      if (tagging) return tagging;
    }
    throw VectorStoreError.unavailable('the active tagging kept changing while it was read; try again');
  }

  /**
   * Claims the next taxonomy version: the label vectors' chunks first, then the head with
   * `update_mode: insert_only` (Qdrant's only insert-if-absent), read back to see whose writer
   * holds the version. A replica that lost the race drops its chunks and claims the next one.
   * Versions before the previous one are pruned (readers finish reading the previous one).
   */
  async saveTagging(input: TaggingInput): Promise<ActiveTagging> {
    await this.ensureMetaCollection();
    const meta = this.stored(META_COLLECTION);
    for (let attempt = 0; attempt < 5; attempt++) {
      const versions = await this.taggingVersions();
      const version = (versions[versions.length - 1] ?? 0) + 1;
      const tagging: ActiveTagging = {
        taxonomy: { ...input.taxonomy, version, createdAt: new Date().toISOString() },
        modelId: input.modelId,
        logitScale: input.logitScale,
        labelVectors: input.labelVectors.map(({ attribute, label, vector }) => ({ attribute, label, vector: Float32Array.from(vector) })),
      };
      const writer = randomUUID();
      const { head, chunks } = taggingPoints(tagging, writer);
      for (const chunk of chunks) await this.request('write label vectors', () => this.client.upsert(meta, { wait: true, points: [chunk] }));
      await this.request('claim taxonomy version', () => this.client.upsert(meta, { wait: true, points: [head], update_mode: 'insert_only' }));
      const [claimed] = await this.request('read taxonomy version', () =>
        this.client.retrieve(meta, { ids: [version], with_payload: ['writer'], with_vector: false }),
      );
      if (claimed?.payload?.writer === writer) {
        await this.request('prune old taxonomy versions', () =>
          this.client.delete(meta, { wait: true, filter: { must: [{ key: 'version', range: { lt: version - 1 } }] } }),
        );
        return tagging;
      }
      await this.request('drop label vectors of a lost version', () => this.client.delete(meta, { wait: true, points: chunks.map((chunk) => chunk.id) }));
    }
    throw VectorStoreError.unavailable('could not claim a taxonomy version: other search pods keep saving taxonomies');
  }

  async readRetagProgress(): Promise<RetagProgress | undefined> {
    const stored = await this.storedRetag();
    return stored && withoutWriteId(stored);
  }

  /**
   * Reads the record, decides by retag-lease.ts, and writes the claim with a compare-and-set:
   * an upsert whose `update_filter` (PointsList.update_filter in Qdrant 1.19's spec: "only points
   * matching this filter will be updated ... new points will be inserted regardless") matches only
   * the `writeId` read, or, when there was no record, only a point without one. Qdrant applies a
   * collection's updates one after another, so of two racing claims one matches; reading the point
   * back tells whose write it holds.
   */
  async claimRetag(claim: RetagClaimRequest): Promise<RetagClaim> {
    await this.ensureMetaCollection();
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.storedRetag();
      const claimed = claimedRetagRecord(current, claim);
      if (!claimed) return { claimed: false, holder: withoutWriteId(current!) };
      const condition: Schemas['Condition'] = current ? { key: 'writeId', match: { value: current.writeId } } : { is_empty: { key: 'writeId' } };
      if (await this.writeRetag(claimed, { must: [condition] })) return { claimed: true, progress: claimed };
    }
    throw VectorStoreError.unavailable('could not claim the re-tag: the record kept changing while it was claimed');
  }

  /** Writes progress with an upsert whose `update_filter` matches only the holder's record (owner and version), then reads it back. */
  async saveRetagProgress(progress: RetagProgress): Promise<boolean> {
    if (!holdsRetag(await this.readRetagProgress(), progress)) return false;
    return this.writeRetag(progress, {
      must: [
        { key: 'owner', match: { value: progress.owner } },
        { key: 'taxonomyVersion', match: { value: progress.taxonomyVersion } },
      ],
    });
  }

  /**
   * Replaces live products' tags in batch requests, one set-payload and one update-vectors
   * operation per product, vectors of the image untouched: the payload (tags, tag keys, the
   * `terms` words, `tags_version`) only where the stored `tags_version` is at most
   * `taxonomyVersion` (or absent), then the text vector of its image points only where
   * `tags_version` now equals it. Both conditions are Qdrant's, evaluated at write time, so a
   * re-tag with an older taxonomy on another replica never overwrites a newer one, and its text
   * vector never lands on a newer one's tags.
   */
  async setProductTags(collection: string | undefined, updates: ProductTagsUpdate[], taxonomyVersion: number): Promise<number> {
    const { name, meta } = await this.resolve(collection);
    if (!Number.isInteger(taxonomyVersion) || taxonomyVersion < 1)
      throw VectorStoreError.invalidArgument(`taxonomy version must be a positive integer, got ${taxonomyVersion}`);
    for (const { productId } of updates) assertValidProductId(productId);
    let applied = 0;
    for (let start = 0; start < updates.length; start += TAG_BATCH) {
      const batch = updates.slice(start, start + TAG_BATCH);
      applied += await this.locks.runAll(
        batch.map(({ productId }) => productId),
        async () => {
          const records = await this.records(
            name,
            batch.map(({ productId }) => productId),
          );
          const live = batch.flatMap(({ productId, tags }) => {
            const record = records.get(productId);
            return record && !record.deleted && record.product && tagsVersionOf(record) <= taxonomyVersion
              ? [{ record, product: record.product, tags, words: lexicalTextOf(record.product, tags, record.images ?? []) }]
              : [];
          });
          if (live.length === 0) return 0;
          const operations: Schemas['UpdateOperation'][] = live.map(({ product, tags, words }) => ({
            set_payload: {
              payload: { ...tagPayload(tags, taxonomyVersion), ...(meta.hasText ? { [PAYLOAD.terms]: productTextTerms(words) } : {}) },
              filter: {
                must: [match(PAYLOAD.productId, product.productId)],
                should: [{ key: TAG_PAYLOAD.tagsVersion, range: { lte: taxonomyVersion } }, { is_empty: { key: TAG_PAYLOAD.tagsVersion } }],
              },
            },
          }));
          if (meta.hasText) {
            for (const { record, product, words } of live) {
              const images = record.images ?? [];
              if (images.length === 0) continue;
              const update = textVectorUpdate(
                images.map((image) => imagePointId(product.productId, image.imageId)),
                words,
              );
              operations.push({
                update_vectors: { ...update, update_filter: { must: [{ key: TAG_PAYLOAD.tagsVersion, match: { value: taxonomyVersion } }] } },
              });
            }
          }
          await this.request('set product tags', () => this.client.batchUpdate(this.stored(name), { wait: true, operations }));
          return live.length;
        },
      );
    }
    return applied;
  }

  async getProductVectors(collection: string | undefined, productId: string): Promise<Float32Array[] | undefined> {
    const { name } = await this.resolve(collection);
    assertValidProductId(productId);
    const record = (await this.records(name, [productId])).get(productId);
    if (!record || record.deleted || !record.product) return undefined;
    const vectors = await this.imageVectors(name, [productId]);
    const ordered = (record.images ?? []).flatMap((image) => vectors.get(imagePointId(productId, image.imageId)) ?? []);
    return ordered.length > 0 ? ordered : undefined;
  }

  /**
   * Live products a page at a time: a scroll over the record points (in point-id order, which is
   * stable but not the order products were written in), the cursor the next record's point id;
   * with vectors, a scroll over the page's image points with their `image` vector.
   */
  async scanProducts(collection: string | undefined, page: { cursor?: string; limit: number; withVectors: boolean }): Promise<ProductScanPage> {
    const { name } = await this.resolve(collection);
    if (!Number.isInteger(page.limit) || page.limit < 1) throw VectorStoreError.invalidArgument(`scan limit must be a positive integer, got ${page.limit}`);
    if (page.cursor !== undefined && !UUID.test(page.cursor))
      throw VectorStoreError.invalidArgument(`scan cursor ${JSON.stringify(page.cursor)} is not one this store returned`);
    const scrolled = await this.request('scan products', () =>
      this.client.scroll(this.stored(name), {
        filter: productRecordFilter(undefined),
        limit: page.limit,
        ...(page.cursor !== undefined ? { offset: page.cursor } : {}),
        with_payload: [PAYLOAD.productId, 'product', 'images', TAG_PAYLOAD.tags, TAG_PAYLOAD.tagsVersion],
        with_vector: false,
      }),
    );
    const records = scrolled.points.map((point) => point.payload as unknown as RecordPayload).filter((record) => record?.product);
    const vectors = page.withVectors
      ? await this.imageVectors(
          name,
          records.map((record) => record.productId),
        )
      : new Map<string, Float32Array>();
    const next = scrolled.next_page_offset;
    return {
      products: records.map((record) => {
        const images = record.images ?? [];
        return {
          productId: record.productId,
          title: record.product?.title ?? '',
          imageUrl: images[0]?.imageUrl ?? '',
          tags: tagsOf(record),
          tagsVersion: tagsVersionOf(record),
          vectors: page.withVectors ? images.flatMap((image) => vectors.get(imagePointId(record.productId, image.imageId)) ?? []) : [],
        };
      }),
      ...(next !== undefined && next !== null ? { cursor: String(next) } : {}),
    };
  }

  /** The `image` vectors (unit: Qdrant normalises cosine vectors on write) of these products' image points, by point id. */
  private async imageVectors(name: string, productIds: string[]): Promise<Map<string, Float32Array>> {
    const vectors = new Map<string, Float32Array>();
    if (productIds.length === 0) return vectors;
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const from = offset;
      const scrolled = await this.request('read image vectors', () =>
        this.client.scroll(this.stored(name), {
          filter: { must: [match(PAYLOAD.kind, 'image'), { key: PAYLOAD.productId, match: { any: productIds } }] },
          limit: VECTOR_PAGE,
          ...(from !== undefined ? { offset: from } : {}),
          with_payload: false,
          with_vector: [IMAGE_VECTOR],
        }),
      );
      for (const point of scrolled.points) {
        const vector = vectorOf(point.vector);
        if (vector) vectors.set(String(point.id), Float32Array.from(vector));
      }
      offset = (scrolled.next_page_offset ?? undefined) as Schemas['ExtendedPointId'] | undefined;
    } while (offset !== undefined);
    return vectors;
  }

  /** Taxonomy versions stored in the metadata collection, ascending (none when it does not exist yet). */
  private async taggingVersions(): Promise<number[]> {
    try {
      // Head ids are the versions; pruning keeps two, so one page holds them all.
      const scrolled = await this.request('list taxonomy versions', () =>
        this.client.scroll(this.stored(META_COLLECTION), {
          filter: { must: [match('kind', TAGGING_KIND.head)] },
          limit: 1000,
          with_payload: false,
          with_vector: false,
        }),
      );
      return scrolled.points.map((point) => Number(point.id)).sort((a, b) => a - b);
    } catch (error) {
      if (error instanceof VectorStoreError && error.kind === 'not-found') return [];
      throw error;
    }
  }

  private async taggingAt(version: number): Promise<ActiveTagging | undefined> {
    const meta = this.stored(META_COLLECTION);
    const [head] = await this.request('read taxonomy', () => this.client.retrieve(meta, { ids: [version], with_payload: true, with_vector: false }));
    if (!isTaggingHead(head?.payload)) return undefined;
    const { writer, chunks: count } = head.payload as TaggingHead;
    const ids = Array.from({ length: count }, (_, index) => chunkPointId(writer, index));
    const chunks = await this.request('read label vectors', () => this.client.retrieve(meta, { ids, with_payload: true, with_vector: false }));
    const byId = new Map(chunks.map((chunk) => [String(chunk.id), chunk.payload ?? undefined]));
    return taggingFrom(
      head.payload,
      ids.map((id) => byId.get(id)),
    );
  }

  private async storedRetag(): Promise<(RetagProgress & { writeId: string }) | undefined> {
    try {
      const [point] = await this.request('read re-tag progress', () =>
        this.client.retrieve(this.stored(META_COLLECTION), { ids: [RETAG_POINT_ID], with_payload: true, with_vector: false }),
      );
      return retagFrom(point?.payload);
    } catch (error) {
      if (error instanceof VectorStoreError && error.kind === 'not-found') return undefined;
      throw error;
    }
  }

  /** Upserts the record where `updateFilter` matches (or inserts it when absent); true when the point holds this write afterwards. */
  private async writeRetag(progress: RetagProgress, updateFilter: Schemas['Filter']): Promise<boolean> {
    const writeId = randomUUID();
    const meta = this.stored(META_COLLECTION);
    const point = { id: RETAG_POINT_ID, vector: {}, payload: retagPayload(progress, writeId) };
    await this.request('write re-tag progress', () => this.client.upsert(meta, { wait: true, points: [point], update_filter: updateFilter }));
    return (await this.storedRetag())?.writeId === writeId;
  }

  /**
   * Creates the metadata collection unless it exists (another replica's create answers 409, which
   * is as good). Its points hold payload only; the one-dimensional `unused` vector is there because
   * a collection names its vectors at creation.
   */
  private async ensureMetaCollection(): Promise<void> {
    await this.request('create metadata collection', () =>
      this.client.createCollection(this.stored(META_COLLECTION), {
        vectors: { unused: { size: 1, distance: 'Dot' } },
        metadata: { createdBy: 'visual-search', holds: 'the active zero-shot tagging' },
      }),
    ).catch((error: unknown) => {
      if (statusOf(error) === 409 || /already exists/i.test(String((error as { message?: string }).message))) return;
      throw error;
    });
  }

  private async groupedSearch(
    name: string,
    vector: Float32Array | number[],
    filter: SearchFilter | undefined,
    groups: number,
    scoreThreshold: number | undefined,
    excludeProductId?: string,
  ): Promise<SearchHit[]> {
    const result = await this.request('search', () =>
      this.client.queryGroups(this.stored(name), {
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
      const payload = point?.payload as ImagePointPayload | null | undefined;
      if (!point || !payload?.product) return [];
      return [{ product: payload.product, score: point.score, vectorScore: point.score, ...matchedImageOf(payload) }];
    });
  }

  private searchParams(): { params?: Schemas['SearchParams'] } {
    const params: Schemas['SearchParams'] = {};
    if (this.options.hnsw?.ef !== undefined) params.hnsw_ef = this.options.hnsw.ef;
    if (this.options.quantization === 'int8') params.quantization = { rescore: true };
    return Object.keys(params).length > 0 ? { params } : {};
  }

  /**
   * The products a search matched, best first, from one batch of Query API requests (see the
   * header): each product's best-ranked point with its score and the payload `fields`. The text
   * ranking holds the products with every query word; when none has them all, a probe finds the
   * most words any product holds and the batch runs again requiring that many.
   */
  private async matchedSet(name: string, plan: SearchPlan): Promise<{ products: MatchedProduct[]; truncated: boolean }> {
    const textVector: SparseVector | undefined = plan.mode === 'vector' ? undefined : queryTextVector(plan.text);
    const hasWords = textVector !== undefined && textVector.indices.length > 0;
    // Words that analyze to nothing (stop words, emoji) match no product.
    if (plan.mode === 'keyword' && !hasWords) return { products: [], truncated: false };
    const words = hasWords ? queryWordConditions(plan.text, PAYLOAD.terms) : [];
    const allWords: Schemas['Filter'] = { must: [plan.filter, ...words] };
    const first = await this.rankedMatches(name, plan, textVector, allWords);
    if (!hasWords || words.length < 2 || first.textMatched > 0) return first;
    const most = await this.mostWordsHeld(name, plan, textVector, words);
    if (most === 0) return first;
    return this.rankedMatches(name, plan, textVector, { must: [plan.filter], min_should: { conditions: words, min_count: most } });
  }

  /**
   * The most of `words` (one condition each) that any product passing the filter holds, 0 for
   * none: one probe per count below all of them, in one batch, each asking for a single point.
   */
  private async mostWordsHeld(name: string, plan: SearchPlan, textVector: SparseVector, words: Schemas['FieldCondition'][]): Promise<number> {
    const counts = Array.from({ length: words.length - 1 }, (_, i) => words.length - 1 - i);
    const probes: Schemas['QueryRequest'][] = counts.map((count) => ({
      query: textVector,
      using: TEXT_VECTOR,
      filter: { must: [plan.filter], min_should: { conditions: words, min_count: count } },
      limit: 1,
      with_payload: false,
      with_vector: false,
    }));
    const results = await this.request('keyword fallback probe', () => this.client.queryBatch(this.stored(name), { searches: probes }));
    const found = results.findIndex((result) => result.points.length > 0);
    return found === -1 ? 0 : counts[found];
  }

  /** One batch of the mode's rankings with `textFilter` on the text ranking; `textMatched`: points the text ranking found. */
  private async rankedMatches(
    name: string,
    plan: SearchPlan,
    textVector: SparseVector | undefined,
    textFilter: Schemas['Filter'],
  ): Promise<{ products: MatchedProduct[]; truncated: boolean; textMatched: number }> {
    const { params } = this.searchParams();
    const hasWords = textVector !== undefined && textVector.indices.length > 0;
    const ranking = (withPayload: string[]): { image: Schemas['QueryRequest']; text: Schemas['QueryRequest'] } => ({
      image: {
        query: Array.from(plan.unit ?? []),
        using: IMAGE_VECTOR,
        filter: plan.filter,
        limit: plan.pointLimit,
        ...(plan.scoreThreshold !== undefined ? { score_threshold: plan.scoreThreshold } : {}),
        ...(params ? { params } : {}),
        with_payload: withPayload,
        with_vector: false,
      },
      text: { query: textVector, using: TEXT_VECTOR, filter: textFilter, limit: plan.pointLimit, with_payload: withPayload, with_vector: false },
    });
    if (plan.mode !== 'hybrid') {
      const alone = ranking(plan.fields)[plan.mode === 'vector' ? 'image' : 'text'];
      const [result] = await this.request(`${plan.mode} search`, () => this.client.queryBatch(this.stored(name), { searches: [alone] }));
      const points = result.points as RankedPoint[];
      const products = matchedProducts(points).map((product) => ({ ...product, [plan.mode === 'vector' ? 'vectorScore' : 'keywordScore']: product.score }));
      return { products, truncated: points.length >= plan.pointLimit, textMatched: plan.mode === 'keyword' ? points.length : 0 };
    }
    const fused: Schemas['QueryRequest'] = {
      ...hybridFusion({
        vector: plan.unit as Float32Array,
        text: plan.text,
        using: IMAGE_VECTOR,
        filter: plan.filter,
        textFilter,
        prefetchLimit: plan.pointLimit,
        scoreThreshold: plan.scoreThreshold,
        k: plan.fusion.k,
        weights: { vector: plan.fusion.vectorWeight, lexical: plan.fusion.keywordWeight },
        ...(params ? { params } : {}),
      }),
      // Every point either prefetch found: the union is the matched set.
      limit: 2 * plan.pointLimit,
      with_payload: plan.fields,
      with_vector: false,
    };
    const alone = ranking([PAYLOAD.productId]);
    const searches = [fused, alone.image, ...(hasWords ? [alone.text] : [])];
    const [fusedResult, imageResult, textResult] = await this.request('hybrid search', () => this.client.queryBatch(this.stored(name), { searches }));
    const vectorScores = bestScoreByProduct(imageResult.points);
    const keywordScores = bestScoreByProduct(textResult?.points ?? []);
    const products = matchedProducts(fusedResult.points as RankedPoint[]).map((product) => ({
      ...product,
      ...(vectorScores.has(product.productId) ? { vectorScore: vectorScores.get(product.productId) } : {}),
      ...(keywordScores.has(product.productId) ? { keywordScore: keywordScores.get(product.productId) } : {}),
    }));
    const truncated = imageResult.points.length >= plan.pointLimit || (textResult?.points.length ?? 0) >= plan.pointLimit;
    return { products, truncated, textMatched: textResult?.points.length ?? 0 };
  }

  /** The page's hits: each matched product's data and image, read by its best point's id (a product deleted meanwhile is left out). */
  private async pageHits(name: string, page: MatchedProduct[]): Promise<SearchHit[]> {
    if (page.length === 0) return [];
    const points = await this.request('read matched points', () =>
      this.client.retrieve(this.stored(name), {
        ids: page.map((entry) => entry.pointId),
        with_payload: ['product', PAYLOAD.imageId, 'imageUrl', 'imageDescription', TAG_PAYLOAD.tags],
        with_vector: false,
      }),
    );
    const byId = new Map(points.map((point) => [String(point.id), point.payload as ImagePointPayload | null | undefined]));
    return page.flatMap((entry) => {
      const payload = byId.get(String(entry.pointId));
      if (!payload?.product) return [];
      const tags = tagsOf(payload);
      return [
        {
          product: payload.product,
          score: entry.score,
          ...(entry.vectorScore !== undefined ? { vectorScore: entry.vectorScore } : {}),
          ...(entry.keywordScore !== undefined ? { keywordScore: entry.keywordScore } : {}),
          ...matchedImageOf(payload),
          ...(tags.length > 0 ? { tags } : {}),
        },
      ];
    });
  }

  private async storedVersions(name: string, productIds: string[]): Promise<Map<string, StoredVersion>> {
    const records = await this.records(name, productIds);
    return new Map([...records.entries()].map(([productId, record]) => [productId, storedVersionOf(record) as StoredVersion]));
  }

  private async records(name: string, productIds: string[]): Promise<Map<string, RecordPayload>> {
    const points = await this.request('read product records', () =>
      this.client.retrieve(this.stored(name), { ids: productIds.map(recordPointId), with_payload: true, with_vector: false }),
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
    // The metadata collection is no generation: it holds no products.
    const meta = name === META_COLLECTION ? undefined : await this.collectionMetadata(name);
    if (!meta) throw unknownTarget(target);
    return { name, meta };
  }

  private async collectionMetadata(name: string): Promise<CollectionMetadata | undefined> {
    const cached = this.metadata.get(name);
    if (cached) return cached;
    let info: Schemas['CollectionInfo'];
    try {
      info = await this.request('read collection', () => this.client.getCollection(this.stored(name)));
    } catch (error) {
      if (statusOf(error) === 404 || (error instanceof VectorStoreError && error.kind === 'not-found')) return undefined;
      throw error;
    }
    const recorded = (info.config as { metadata?: Partial<CollectionMetadata> | null }).metadata ?? {};
    const vectors = info.config.params.vectors as Record<string, { size?: number }> | undefined;
    const sparse = info.config.params.sparse_vectors as Record<string, unknown> | null | undefined;
    // Words need both the text vector and the terms payload (`termsPayload` in the metadata: collections made before all-words matching lack it).
    const hasTerms = (recorded as { termsPayload?: unknown }).termsPayload === true;
    const meta = {
      modelId: String(recorded.modelId ?? ''),
      dimension: Number(recorded.dimension ?? vectors?.[IMAGE_VECTOR]?.size ?? 0),
      hasText: Boolean(sparse?.[TEXT_VECTOR]) && hasTerms,
    };
    this.metadata.set(name, meta);
    return meta;
  }

  /** The name Qdrant stores a collection or alias under. */
  private stored(name: string): string {
    return this.prefix + name;
  }

  /** Our name of a stored one, or undefined when it lacks our prefix (another deployment's). */
  private unprefixed(stored: string): string | undefined {
    return stored.startsWith(this.prefix) ? stored.slice(this.prefix.length) : undefined;
  }

  private async collectionNames(): Promise<string[]> {
    const response = await this.request('list collections', () => this.client.getCollections());
    // The metadata collection holds the active tagging, not products: it is no generation.
    return response.collections.flatMap((entry) => this.unprefixed(entry.name) ?? []).filter((name) => name !== META_COLLECTION);
  }

  private async aliases(): Promise<Map<string, string>> {
    const response = await this.request('list aliases', () => this.client.getAliases());
    return new Map(
      response.aliases.flatMap((entry) => {
        const [alias, collection] = [this.unprefixed(entry.alias_name), this.unprefixed(entry.collection_name)];
        return alias !== undefined && collection !== undefined ? [[alias, collection] as const] : [];
      }),
    );
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
        if (transient)
          throw VectorStoreError.unavailable(`Qdrant at ${this.options.url} is unavailable (${what}: ${reason}, after ${attempt + 1} attempts)`, error);
        if (status === 404) throw Object.assign(VectorStoreError.notFound(`Qdrant ${what}: ${reason}`), { status });
        throw new Error(`Qdrant ${what} failed: ${reason}`, { cause: error });
      }
    }
  }
}

function withoutWriteId(stored: RetagProgress & { writeId: string }): RetagProgress {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the write id is the adapter's compare-and-set token
  const { writeId, ...progress } = stored;
  return progress;
}

function filterFields(product: ProductData) {
  return {
    productId: product.productId,
    categories: product.categories,
    brand: product.brand,
    price: product.price.amount,
    inStock: product.inStock,
    ...(product.updatedAt !== undefined ? { updatedAt: product.updatedAt } : {}),
  };
}

function storedVersionOf(record: RecordPayload | undefined): StoredVersion | undefined {
  return record && { version: record.version, deleted: record.deleted };
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
