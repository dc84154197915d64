/** The search service as ingestion needs it: versioned product writes and the collection management of a reindex. */
import type { CollectionInfo, ProductData, ProductWithImageVectors, StoredProduct, WriteOutcome } from '@vsearch/contracts';

export const PRODUCTS_ALIAS = 'products';


/**
 * Every method throws DependencyUnavailableError when search is down or overloaded, and
 * RejectedByDependencyError when it refuses the request's data for good.
 */
export abstract class ProductIndex {
  /** Writes products with their vectors and failed images; an older version never overwrites a newer one ('stale'). */
  abstract upsertProducts(collection: string, items: ProductWithImageVectors[]): Promise<WriteOutcome[]>;
  /** Rewrites payloads keeping the vectors; 'not_found' when the product is not stored. */
  abstract updateAttributes(collection: string, products: ProductData[]): Promise<WriteOutcome[]>;
  abstract deleteProduct(collection: string, productId: string, version: number): Promise<WriteOutcome>;
  /** The stored product with its image ids and URLs and its failed images, or null when not stored. */
  abstract getProduct(collection: string, productId: string): Promise<StoredProduct | null>;
  abstract listCollections(): Promise<CollectionInfo[]>;
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
