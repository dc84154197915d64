/**
 * ProductIndexWriter over search's gRPC client (`SearchClient`: dns:/// + round_robin over search
 * pods, a deadline on every call, the proto mapping). Here only the translation of its
 * SearchCallError into the platform's errors: transient statuses (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) →
 * DependencyUnavailableError; a damaged collection (FAILED_PRECONDITION with the reason
 * COLLECTION_DAMAGED) → CollectionDamagedError, our own outage that writes wait out; the rest →
 * RejectedByDependencyError with the status name as code (a write search refuses for good),
 * NOT_FOUND on reads → null.
 */
import { status } from '@grpc/grpc-js';
import { SearchCallError, SearchClient } from '@vsearch/grpc-clients';
import {
  DependencyUnavailableError,
  RejectedByDependencyError,
  type CollectionInfo,
  type ProductData,
  type ProductWithImageVectors,
  type StoredProduct,
  type WriteOutcome,
} from '@vsearch/contracts';
import { CollectionDamagedError, PRODUCTS_ALIAS, ProductIndexWriter } from '../ports';

export class GrpcProductIndexWriter extends ProductIndexWriter {
  private readonly client: SearchClient;

  constructor(address: string, deadlineMs = 15_000) {
    super();
    this.client = new SearchClient({
      address,
      defaultDeadlineMs: deadlineMs,
      // Ingestion pauses while search is down: reconnect promptly when it is back.
      channelOptions: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 5_000 },
    });
  }

  upsertProducts(collection: string, items: ProductWithImageVectors[], modelId: string): Promise<WriteOutcome[]> {
    return translated(this.client.upsertProducts(items, { collection, modelId }), collection);
  }

  updateAttributes(collection: string, products: ProductData[]): Promise<WriteOutcome[]> {
    return translated(this.client.updateAttributes(products, { collection }), collection);
  }

  deleteProduct(collection: string, productId: string, version: number): Promise<WriteOutcome> {
    return translated(this.client.deleteProduct(productId, version, { collection }), collection);
  }

  async getProduct(collection: string, productId: string): Promise<StoredProduct | null> {
    try {
      return (await translated(this.client.getProduct(productId, { collection }), collection)) ?? null;
    } catch (error) {
      if (error instanceof RejectedByDependencyError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async listCollections(): Promise<CollectionInfo[]> {
    return translated(this.client.listCollections());
  }

  createCollection(modelId: string, dimension: number, name?: string): Promise<string> {
    return translated(this.client.createGeneration(modelId, dimension, { name }));
  }

  swapAlias(alias: string, collection: string): Promise<string | undefined> {
    return translated(this.client.swapAlias(alias, collection), collection);
  }

  dropCollection(collection: string): Promise<void> {
    return translated(this.client.dropCollection(collection), collection);
  }

  close(): void {
    this.client.close();
  }
}

/** The call's result, or its failure as a platform error; `collection` is the collection or alias the call addresses. */
async function translated<T>(call: Promise<T>, collection?: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw searchFailure(error, collection);
  }
}

/** A failure of a search call as the platform error ingestion acts on (exported for its unit test). */
export function searchFailure(error: unknown, collection: string = PRODUCTS_ALIAS): Error {
  if (!(error instanceof SearchCallError)) return new DependencyUnavailableError('search', (error as Error).message, { cause: error });
  const code = status[error.code] ?? String(error.code);
  if (error.isTransient) return new DependencyUnavailableError('search', `${error.method}: ${code}: ${error.details}`, { cause: error });
  if (error.isCollectionDamaged) return new CollectionDamagedError(collection, error.details);
  return new RejectedByDependencyError('search', code, `search ${error.method} refused: ${error.details}`);
}
