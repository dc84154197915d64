/**
 * The vector-store port: the contract every adapter (Qdrant, embedded) fulfils
 * which the search service's composition root hands to its gRPC handler. Conformance is defined by
 * `describeVectorStoreConformance` in `@vsearch/vector-store/testing`.
 *
 * Semantics shared by every adapter:
 * - Collections are index generations `products_v{n}`, each recording the model
 *   id and vector dimension; vectors of another dimension are refused, and a
 *   search, similar or upsert naming another model than the collection's is
 *   `failed-precondition` with the reason `model-mismatch`, even when the
 *   dimensions match (checked against the collection the call resolved).
 * - An empty or unset collection means the alias `products`. While that alias
 *   points nowhere (first start), every call naming it fails with
 *   `failed-precondition`: the caller (ingestion, at start-up) must
 *   `createGeneration` + `swapAlias` first. Other unknown names are `not-found`.
 * - `createGeneration` with a name creates exactly that generation or fails
 *   `already-exists`, so callers racing to create the first generation agree
 *   on one collection instead of each claiming the next number.
 * - Writes are versioned per product: an upsert, attribute update or delete
 *   older than the stored version (or than a delete's tombstone) is `stale`.
 *   An equal version is re-applied (at-least-once redelivery is idempotent),
 *   except that an upsert never revives a tombstone of the same version.
 * - An upsert records the product's failed images beside it (replacing the
 *   ones recorded before, like its image set); attribute updates keep them,
 *   deletes drop them. Data written before this existed reads as none.
 * - Search collapses image points to one hit per product (its best image).
 *   A text query runs in one of three modes (see `resolveSearch`): `vector`
 *   (cosine of the best image), `keyword` (BM25 over title, brand, categories,
 *   attribute values and description, as analyzed by lexical/tokenizer.ts) or
 *   `hybrid` (both rankings fused by reciprocal rank with the request's k and
 *   weights). Filters apply to both rankings. The score threshold cuts only
 *   the vector ranking: a product whose words match is never cut by it, and a
 *   query with neither a word match nor a vector score above it matches nothing.
 * - What matched: the vector ranking's products above the threshold (every
 *   product passing the filter when there is none) plus the keyword matches;
 *   `total` counts them exactly up to MATCH_COUNT_CAP (then a lower bound) and
 *   facets (categories, brands, price bands, stock) count them, empty when
 *   nothing matched. `sort` orders what matched by relevance, price (ties by
 *   relevance) or `updatedAt` (newest first, undated last), then pages with
 *   offset/limit. Photo search and `similarToProduct` are vector-only.
 * - Zero-shot tags (libs/zero-shot) are stored with the product: an upsert
 *   carries the tags the search service computed (replacing the stored ones),
 *   `setProductTags` replaces them without touching vectors or data (skipping
 *   products tagged with a newer taxonomy version), attribute updates keep
 *   them, deletes drop them. Tag filters (labels of an attribute OR'ed,
 *   attributes AND'ed) and tag facets work like the other filters and facets,
 *   and tag labels are words of the keyword ranking.
 * - The active tagging (taxonomy, label vectors, model id) is one per store,
 *   durable and seen by every replica; it applies to the collections of its
 *   model, so a new generation of the same model inherits it.
 * - The re-tag's progress is one durable record per store beside the active
 *   tagging, seen by every replica, with a lease (retag-lease.ts holds the
 *   rules): a claim is a compare-and-set, and only the lease holder writes
 *   progress, so one replica re-tags at a time and a lost lease stops it.
 */
import type {
  ActiveTagging,
  CollectionInfo,
  ProductData,
  ProductScanPage,
  ProductTagsUpdate,
  ProductWithImageVectors,
  RetagClaim,
  RetagClaimRequest,
  RetagProgress,
  SearchQuery,
  SearchPage,
  SimilarQuery,
  StoredProduct,
  TaggingInput,
  UpsertOptions,
  WriteOutcome,
} from './types';

export abstract class VectorStore {
  /** Opens connections or loads persisted data; resolves when the store can serve. */
  abstract open(): Promise<void>;

  /** Flushes and releases everything; the store cannot be used afterwards. */
  abstract close(): Promise<void>;

  /** Writes products with their image vectors; one outcome per product, in order. */
  abstract upsertProducts(collection: string | undefined, products: ProductWithImageVectors[], options?: UpsertOptions): Promise<WriteOutcome[]>;

  /** Rewrites products' catalog data keeping their vectors; `not_found` when absent or deleted. */
  abstract updateAttributes(collection: string | undefined, products: ProductData[]): Promise<WriteOutcome[]>;

  /** Removes a product, leaving a tombstone with the delete's version. */
  abstract deleteProduct(collection: string | undefined, productId: string, version: number): Promise<WriteOutcome>;

  /** The stored product with its images, or undefined when absent or deleted. */
  abstract getProduct(collection: string | undefined, productId: string): Promise<StoredProduct | undefined>;

  /** Filtered vector, keyword or hybrid search, one hit per product, with the total and facets of what matched. */
  abstract searchSimilar(query: SearchQuery): Promise<SearchPage>;

  /** Products nearest to a stored product's images, the product itself left out. */
  abstract similarToProduct(query: SimilarQuery): Promise<SearchPage>;

  /**
   * Creates the next generation `products_v{n}` and returns its name; with `name`
   * (a generation name), creates that one, or fails `already-exists` when a collection has it.
   */
  abstract createGeneration(modelId: string, dimension: number, name?: string): Promise<string>;

  /** Points `alias` at `collection` atomically; returns the previous collection, if any. */
  abstract swapAlias(alias: string, collection: string): Promise<string | undefined>;

  /** Deletes a collection; refused while an alias points at it. */
  abstract dropCollection(collection: string): Promise<void>;

  /** Every collection, oldest generation first, with its aliases. */
  abstract listCollections(): Promise<CollectionInfo[]>;

  /** One collection (an alias resolved) with its counts and model. */
  abstract describeCollection(collection: string | undefined): Promise<CollectionInfo>;

  /** The active tagging, or undefined before the first one is saved. */
  abstract readTagging(): Promise<ActiveTagging | undefined>;

  /** Stores a tagging durably as the next taxonomy version (1, 2, ...) and returns it. */
  abstract saveTagging(input: TaggingInput): Promise<ActiveTagging>;

  /** Replaces products' tags with ones of `taxonomyVersion`, keeping vectors and data; returns how many were set. */
  abstract setProductTags(collection: string | undefined, updates: ProductTagsUpdate[], taxonomyVersion: number): Promise<number>;

  /** A live product's unit image vectors, or undefined when it is not stored. */
  abstract getProductVectors(collection: string | undefined, productId: string): Promise<Float32Array[] | undefined>;

  /** Live products in a stable order, a page at a time, with their unit image vectors when asked. */
  abstract scanProducts(collection: string | undefined, page: { cursor?: string; limit: number; withVectors: boolean }): Promise<ProductScanPage>;

  /** The re-tag's durable progress, or undefined before the first re-tag claimed it. */
  abstract readRetagProgress(): Promise<RetagProgress | undefined>;

  /** Takes the re-tag lease for `taxonomyVersion` when it is free, ours or expired (compare-and-set); otherwise names the holder. */
  abstract claimRetag(claim: RetagClaimRequest): Promise<RetagClaim>;

  /** Writes the re-tag's progress (renewing the lease it carries) when `progress.owner` still holds the record's version; false when the lease was lost. */
  abstract saveRetagProgress(progress: RetagProgress): Promise<boolean>;
}
