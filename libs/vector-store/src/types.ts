/**
 * The vector store's own vocabulary: the default alias, the bounds every
 * adapter enforces, and the query shapes. Products, images, hits, pages and
 * collections are the platform's vocabulary (`@vsearch/contracts`), re-exported
 * here for the store's modules.
 */
import { PRODUCTS_ALIAS, type SearchFilter } from '@vsearch/contracts';

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

export interface SimilarQuery {
  collection?: string;
  /** The stored product; it is left out of the results. */
  productId: string;
  filter?: SearchFilter;
  limit: number;
  offset?: number;
}
