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
  /** The model `vector` came from: required with a vector, refused (IndexModelMismatchError) when the index holds another. */
  modelId?: string;
}

export interface SimilarQuery {
  productId: string;
  /** The model the caller expects the index's vectors to come from (IndexModelMismatchError when it holds another). */
  modelId: string;
  filter: SearchFilter;
  limit: number;
  offset: number;
}

/**
 * The index holds vectors of another model than the request named: the live generation changed
 * model (a rollout's alias swap). The caller learns the live model again and retries with it.
 */
export class IndexModelMismatchError extends Error {
  override readonly name = 'IndexModelMismatchError';
}

export abstract class ProductSearchIndex {
  /** The model whose vectors the live generation (the alias searches go to) holds. */
  abstract liveModelId(context: RequestContext): Promise<string>;
  abstract searchProducts(query: ProductQuery, context: RequestContext): Promise<SearchPage>;
  /** `undefined` when the product is not in the index. */
  abstract findSimilar(query: SimilarQuery, context: RequestContext): Promise<SearchPage | undefined>;
  /** Resolves when the search service answers and is ready; throws DependencyUnavailableError otherwise. */
  abstract checkReady(): Promise<void>;
}
