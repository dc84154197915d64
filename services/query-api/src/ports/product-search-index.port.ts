/** Port to the search service as the query API reads it: filtered k-NN over product images and "more like this", one row per product. */
import type { SearchFilter, SearchPage } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export interface VectorQuery {
  vector: Float32Array;
  filter: SearchFilter;
  limit: number;
  offset: number;
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
  abstract searchByVector(query: VectorQuery, context: RequestContext): Promise<SearchPage>;
  /** `undefined` when the product is not in the index. */
  abstract findSimilar(query: SimilarQuery, context: RequestContext): Promise<SearchPage | undefined>;
  /** Resolves when the search service answers and is ready; throws DependencyUnavailableError otherwise. */
  abstract checkReady(): Promise<void>;
}
