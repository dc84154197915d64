/** The search service as ingestion needs it: versioned product writes and the collection management of a reindex. */
import {
  RejectedByDependencyError,
  type CollectionInfo,
  type ProductData,
  type ProductWithImageVectors,
  type StoredProduct,
  type WriteOutcome,
} from '@vsearch/contracts';

/** The alias search serves; ingestion points it at the live generation. */
export { PRODUCTS_ALIAS } from '@vsearch/contracts';

/**
 * Every method throws the platform's DependencyUnavailableError (`@vsearch/contracts`) when
 * search is down or overloaded, and RejectedByDependencyError (with search's status name as
 * `code`) when it refuses the request's data for good.
 */
export abstract class ProductIndexWriter {
  /**
   * Writes products with their vectors (of model `modelId`) and failed images; an older version
   * never overwrites a newer one ('stale'). Search refuses vectors of another model than the
   * collection's (RejectedByDependencyError, code FAILED_PRECONDITION).
   */
  abstract upsertProducts(collection: string, items: ProductWithImageVectors[], modelId: string): Promise<WriteOutcome[]>;
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

/** True for search's answer to creating a named collection that exists (status ALREADY_EXISTS). */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof RejectedByDependencyError && error.dependency === 'search' && error.code === 'ALREADY_EXISTS';
}
