/**
 * The vector store's own vocabulary: the default alias, the bounds every
 * adapter enforces, and the query shapes. Products, images, hits, pages and
 * collections are the platform's vocabulary (`@vsearch/contracts`), re-exported
 * here for the store's modules.
 */
import { PRODUCTS_ALIAS, type ProductTag, type SearchFilter } from '@vsearch/contracts';

export type {
  ActiveTagging,
  ProductTag,
  TaggingInput,
  CollectionInfo,
  FacetCount,
  FailedImage,
  ImageContent,
  ImageRef,
  ImageVector,
  ProductData,
  ProductWithImageVectors,
  SearchFacets,
  SearchFilter,
  SearchHit,
  SearchPage,
  SearchQuery,
  StoredProduct,
  WriteOutcome,
} from '@vsearch/contracts';

/** Alias searched and written when a request names no collection. */
export const DEFAULT_ALIAS = PRODUCTS_ALIAS;

/** Bounds every adapter enforces, so both answer the same requests the same way. */
export const SEARCH_LIMITS = Object.freeze({
  minLimit: 1,
  maxLimit: 100,
  /** Deep paging is bounded: page offset + limit above this is refused. */
  maxOffset: 10_000,
  /** Number of values returned per facet. */
  facetValues: 20,
});

/** A live product as a scan returns it, for re-tagging from stored vectors and tag exports. */
export interface ScannedProduct {
  productId: string;
  title: string;
  /** Its first image's URL (empty when it has none). */
  imageUrl: string;
  tags: ProductTag[];
  /** Taxonomy version of its tags (0: never tagged). */
  tagsVersion: number;
  /** Unit image vectors, when the scan asked for them; else empty. */
  vectors: Float32Array[];
}

/** One page of a scan; `cursor` is absent on the last page. */
export interface ProductScanPage {
  products: ScannedProduct[];
  cursor?: string;
}

/** New tags for one product (a re-tag: vectors and data untouched). */
export interface ProductTagsUpdate {
  productId: string;
  tags: ProductTag[];
}

/** Options of an upsert beside its products. */
export interface UpsertOptions {
  /** The model the vectors came from; refused when it is not the collection's (see assertCollectionModel). */
  modelId?: string;
}

export interface SimilarQuery {
  collection?: string;
  /** The stored product; it is left out of the results. */
  productId: string;
  /** The model the caller expects the collection's vectors to come from; refused when it is another (see assertCollectionModel). */
  modelId?: string;
  filter?: SearchFilter;
  limit: number;
  offset?: number;
}

/**
 * Where the re-tag of the collection with a taxonomy version stands, stored beside the active
 * tagging so every replica reports the same progress and one replica at a time runs it (the lease).
 */
export interface RetagProgress {
  taxonomyVersion: number;
  /** The collection being re-tagged (the alias resolved when the run started); empty until the run resolved it. */
  collection: string;
  state: 'tagging' | 'done' | 'failed';
  /** Products read so far, counted up to `cursor`. */
  productsTagged: number;
  productsTotal: number;
  /** The scan cursor after the products counted in `productsTagged`: a resumed run continues from it. */
  cursor?: string;
  /** Why the run failed, when `state` is `failed`. */
  error?: string;
  /** The replica running (or last running) the re-tag. */
  owner: string;
  /** ISO time until which `owner` holds the lease; only a `tagging` record holds one. */
  leaseExpiresAt: string;
  /** ISO time of the last write. */
  updatedAt: string;
}

/** What a replica asks for when it wants to run the re-tag with `taxonomyVersion`. */
export interface RetagClaimRequest {
  owner: string;
  taxonomyVersion: number;
  leaseMs: number;
  /** The claimant's clock (passed in, so a takeover is testable without waiting for a lease to expire). */
  now: Date;
}

/** A claim's outcome: the record now held (continuing a run of the same version from its cursor), or the record of whoever holds it. */
export type RetagClaim = { claimed: true; progress: RetagProgress } | { claimed: false; holder: RetagProgress };
