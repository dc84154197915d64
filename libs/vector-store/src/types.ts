/**
 * The vector store's own vocabulary: the default alias, the bounds every
 * adapter enforces, and the query shapes. Products, images, hits, pages and
 * collections are the platform's vocabulary (`@vsearch/contracts`), re-exported
 * here for the store's modules.
 */
import { PRODUCTS_ALIAS, type FusionSettings, type SearchFilter, type SearchMode, type SearchSort } from '@vsearch/contracts';

export type {
  CollectionInfo,
  FacetCount,
  FailedImage,
  ImageRef,
  ImageVector,
  ProductData,
  ProductWithImageVectors,
  SearchFacets,
  SearchFilter,
  SearchHit,
  SearchPage,
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

export interface SearchQuery {
  /** Collection or alias; unset or empty means {@link DEFAULT_ALIAS}. */
  collection?: string;
  /** The query's embedding; required unless `mode` is `keyword`. */
  vector?: Float32Array;
  /** The shopper's words, for the keyword ranking; required unless `mode` is `vector`. */
  text?: string;
  /** Unset: `hybrid` when both `vector` and `text` are given, else the one ranking they allow. */
  mode?: SearchMode;
  /** Unset: `relevance`. */
  sort?: SearchSort;
  /** Unset: DEFAULT_FUSION. */
  fusion?: FusionSettings;
  filter?: SearchFilter;
  limit: number;
  offset?: number;
  /**
   * The vector ranking leaves out products whose best cosine is lower. A product the
   * keyword ranking matched is never cut by it (its words matched the query).
   */
  scoreThreshold?: number;
  /** Facets over the matched products (see SearchFacets). */
  withFacets?: boolean;
}

export interface SimilarQuery {
  collection?: string;
  /** The stored product; it is left out of the results. */
  productId: string;
  filter?: SearchFilter;
  limit: number;
  offset?: number;
}

