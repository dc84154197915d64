/** Port to the search service: filtered k-NN over product images, collapsed to one row per product. */
import type { RequestContext } from './request-context';

export interface ProductFilter {
  categories: string[];
  brands: string[];
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
}

export interface ProductHit {
  productId: string;
  title: string;
  brand: string;
  categories: string[];
  price: { amount: number; currency: string };
  inStock: boolean;
  /** Cosine similarity of the best-matching image. */
  score: number;
  matchedImageId: string;
  imageUrl: string;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface ProductPage {
  hits: ProductHit[];
  facets: { categories: FacetCount[]; brands: FacetCount[] };
  /** Model whose vectors answered (the collection's model). */
  modelId: string;
}

export interface VectorQuery {
  vector: Float32Array;
  filter: ProductFilter;
  limit: number;
  offset: number;
  scoreThreshold?: number;
  withFacets: boolean;
}

export interface SimilarQuery {
  productId: string;
  filter: ProductFilter;
  limit: number;
  offset: number;
}

export abstract class ProductIndex {
  abstract searchByVector(query: VectorQuery, context: RequestContext): Promise<ProductPage>;
  /** `undefined` when the product is not in the index. */
  abstract findSimilar(query: SimilarQuery, context: RequestContext): Promise<ProductPage | undefined>;
  /** Resolves when the search service answers and is ready; throws DependencyUnavailableError otherwise. */
  abstract checkReady(): Promise<void>;
}
