/** The vector store's vocabulary: products with image vectors, queries, hits, collections. */

/** Alias searched and written when a request names no collection. */
export const DEFAULT_ALIAS = 'products';

/** Bounds every adapter enforces, so both answer the same requests the same way. */
export const SEARCH_LIMITS = Object.freeze({
  minLimit: 1,
  maxLimit: 100,
  /** Deep paging is bounded: page offset + limit above this is refused. */
  maxOffset: 10_000,
  /** Number of values returned per facet. */
  facetValues: 20,
});

export interface ProductPrice {
  amount: number;
  currency: string;
}

/** Catalog data stored beside a product's vectors. */
export interface ProductData {
  productId: string;
  /** Orders the catalog's writes; an older version never overwrites a newer one. */
  version: number;
  title: string;
  description: string;
  brand: string;
  categories: string[];
  price: ProductPrice;
  inStock: boolean;
  attributes: Record<string, string>;
}

export interface ProductImage {
  imageId: string;
  imageUrl: string;
}

export interface ProductImageVector extends ProductImage {
  /** Any length-`dimension` vector; the store normalises it (cosine). */
  vector: Float32Array;
}

/**
 * An image of the product that could not be indexed (ingestion could not fetch, decode or
 * embed it). It is stored with the product, so GetProduct shows what is missing and why, and
 * ingestion knows to fetch it again on the product's next event.
 */
export interface FailedImage extends ProductImage {
  /** Where it failed: `fetch`, `decode` or `embed`. */
  stage: string;
  /** Machine-readable failure, for instance `http_status` or `refused_address`. */
  errorCode: string;
  /** Human-readable failure, for instance `answered 404`. */
  reason: string;
}

export interface ProductWithImageVectors {
  product: ProductData;
  /** At least one image. The stored image set is replaced by this one. */
  images: ProductImageVector[];
  /** Images that could not be indexed (ids distinct from `images`'); they replace the recorded ones. Unset means none. */
  failedImages?: FailedImage[];
}

/** What a versioned write did. */
export type WriteOutcome = 'applied' | 'stale' | 'not_found';

/** Narrows a search; unset fields do not filter. */
export interface SearchFilter {
  /** The product has at least one of these categories. */
  categories?: string[];
  /** The product's brand is one of these. */
  brands?: string[];
  /** price.amount >= minPrice. */
  minPrice?: number;
  /** price.amount <= maxPrice. */
  maxPrice?: number;
  inStock?: boolean;
}

export interface SearchQuery {
  /** Collection or alias; unset or empty means {@link DEFAULT_ALIAS}. */
  collection?: string;
  vector: Float32Array;
  filter?: SearchFilter;
  limit: number;
  offset?: number;
  /** Products whose best cosine score is lower are left out. */
  scoreThreshold?: number;
  /** Count categories and brands over every product matching the filter. */
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

/** One product in a result list: its best-matching image gives the score. */
export interface SearchHit {
  product: ProductData;
  score: number;
  matchedImageId: string;
  matchedImageUrl: string;
}

export interface FacetCount {
  value: string;
  count: number;
}

/** Number of matching products per category and per brand, most frequent first. */
export interface SearchFacets {
  categories: FacetCount[];
  brands: FacetCount[];
}

export interface SearchResult {
  hits: SearchHit[];
  facets?: SearchFacets;
  /** The collection that answered (the alias resolved). */
  collection: string;
  modelId: string;
}

export interface StoredProduct {
  product: ProductData;
  images: ProductImage[];
  /** Images the last upsert recorded as failed; empty when all were indexed (and for data written before failures were recorded). */
  failedImages: FailedImage[];
}

export interface CollectionInfo {
  name: string;
  modelId: string;
  dimension: number;
  productCount: number;
  pointCount: number;
  aliases: string[];
}
