/** The search service as ingestion needs it: versioned product writes and the collection management of a reindex. */
export const PRODUCTS_ALIAS = 'products';

export interface IndexedProduct {
  productId: string;
  version: number;
  title: string;
  description: string;
  brand: string;
  categories: string[];
  price: { amount: number; currency: string };
  inStock: boolean;
  attributes: Record<string, string>;
}

export interface StoredImageRef {
  imageId: string;
  imageUrl: string;
}

export interface ImageVector extends StoredImageRef {
  vector: Float32Array;
}

/** An image of the product that could not be indexed, recorded with the product in search. */
export interface FailedImageRecord extends StoredImageRef {
  /** `fetch`, `decode` or `embed`. */
  stage: string;
  errorCode: string;
  reason: string;
}

/** A product as search stores it: data, the images indexed and the images that failed. */
export interface StoredProductRecord {
  product: IndexedProduct;
  images: StoredImageRef[];
  failedImages: FailedImageRecord[];
}

/** One product to write: its vectors and the images that failed (they replace those recorded before). */
export interface ProductToIndex {
  product: IndexedProduct;
  images: ImageVector[];
  failedImages?: FailedImageRecord[];
}

export type WriteOutcome = 'applied' | 'stale' | 'not_found';

export interface CollectionSummary {
  name: string;
  modelId: string;
  dimension: number;
  aliases: string[];
  productCount: number;
}

/**
 * Every method throws DependencyUnavailableError when search is down or overloaded, and
 * RejectedByDependencyError when it refuses the request's data for good.
 */
export abstract class ProductIndex {
  /** Writes products with their vectors and failed images; an older version never overwrites a newer one ('stale'). */
  abstract upsertProducts(collection: string, items: ProductToIndex[]): Promise<WriteOutcome[]>;
  /** Rewrites payloads keeping the vectors; 'not_found' when the product is not stored. */
  abstract updateAttributes(collection: string, products: IndexedProduct[]): Promise<WriteOutcome[]>;
  abstract deleteProduct(collection: string, productId: string, version: number): Promise<WriteOutcome>;
  /** The stored product with its image ids and URLs and its failed images, or null when not stored. */
  abstract getProduct(collection: string, productId: string): Promise<StoredProductRecord | null>;
  abstract listCollections(): Promise<CollectionSummary[]>;
  /**
   * Creates the next generation (`products_v{n}`) and returns its name; with `name`, creates that
   * generation or throws RejectedByDependencyError with code ALREADY_EXISTS ({@link isAlreadyExists}).
   */
  abstract createCollection(modelId: string, dimension: number, name?: string): Promise<string>;
  /** Points the alias at the collection atomically; returns the collection it pointed at before. */
  abstract swapAlias(alias: string, collection: string): Promise<string | undefined>;
  abstract dropCollection(collection: string): Promise<void>;
  abstract close(): void;
}
