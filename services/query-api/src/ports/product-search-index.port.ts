/**
 * Port to the search service as the query API reads it: a search by words, by a vector or
 * both fused (hybrid), and "more like this"; one row per product, with facets and a total over
 * the products the query matched.
 */
import type { FusionSettings, SearchFilter, SearchMode, SearchPage, SearchSort } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export interface ProductQuery {
  mode: SearchMode;
  /** The query's vector: required for `vector` and `hybrid`, unused by `keyword`. */
  vector?: Float32Array;
  /** The shopper's words: required for `keyword` and `hybrid`, unused by `vector`. */
  text?: string;
  sort: SearchSort;
  /** How the two rankings of a hybrid search are fused; the store's default when unset. */
  fusion?: FusionSettings;
  filter: SearchFilter;
  limit: number;
  offset: number;
  /** The cosine below which the vector ranking drops a product; a product matching the words is never cut by it. */
  scoreThreshold?: number;
  withFacets: boolean;
}

export interface SimilarQuery {
  productId: string;
  filter: SearchFilter;
  limit: number;
  offset: number;
}

export abstract class ProductSearchIndex {
  abstract searchProducts(query: ProductQuery, context: RequestContext): Promise<SearchPage>;
  /** `undefined` when the product is not in the index. */
  abstract findSimilar(query: SimilarQuery, context: RequestContext): Promise<SearchPage | undefined>;
  /** Resolves when the search service answers and is ready; throws DependencyUnavailableError otherwise. */
  abstract checkReady(): Promise<void>;
}
