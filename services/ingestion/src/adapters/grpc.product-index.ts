/**
 * ProductIndex over search's gRPC API (visualsearch.search.v1.SearchService): dns:/// +
 * round_robin over search pods, a deadline on every call, transient statuses (UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) → DependencyUnavailableError, the rest →
 * RejectedByDependencyError (a write search refuses for good), NOT_FOUND on reads → null.
 */
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, grpcTarget, isTransientGrpcError, packFloat32LE } from '@vsearch/grpc-kit';
import { searchV1 } from '@vsearch/proto';
import {
  DependencyUnavailableError,
  ProductIndex,
  RejectedByDependencyError,
  type CollectionSummary,
  type FailedImageRecord,
  type IndexedProduct,
  type ProductToIndex,
  type StoredProductRecord,
  type WriteOutcome,
} from '../ports';

const SearchGrpcClient = grpc.makeGenericClientConstructor(searchV1.SearchServiceService, 'visualsearch.search.v1.SearchService');

type Unary<Req, Res> = (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: Res) => void) => grpc.ClientUnaryCall;

const OUTCOMES: Record<number, WriteOutcome> = {
  [searchV1.WriteOutcome.WRITE_OUTCOME_APPLIED]: 'applied',
  [searchV1.WriteOutcome.WRITE_OUTCOME_STALE]: 'stale',
  [searchV1.WriteOutcome.WRITE_OUTCOME_NOT_FOUND]: 'not_found',
};

export class GrpcProductIndex extends ProductIndex {
  private readonly client: grpc.Client;

  constructor(
    address: string,
    private readonly deadlineMs = 15_000,
  ) {
    super();
    this.client = new SearchGrpcClient(grpcTarget(address), grpc.credentials.createInsecure(), {
      ...clientChannelOptions(64 * 1024 * 1024),
      // Ingestion pauses while search is down: reconnect promptly when it is back.
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 5_000,
    });
  }

  async upsertProducts(collection: string, items: ProductToIndex[]): Promise<WriteOutcome[]> {
    const response = await this.call<searchV1.UpsertRequest, searchV1.UpsertResponse>('upsert', {
      collection,
      products: items.map(({ product, images, failedImages }) => ({
        product: toProto(product),
        images: images.map((image) => ({ imageId: image.imageId, imageUrl: image.imageUrl, vector: packFloat32LE(image.vector) })),
        failedImages: failedImages?.length ? { images: failedImages.map(copyFailedImage) } : undefined,
      })),
    });
    return response.outcomes.map(toOutcome);
  }

  async updateAttributes(collection: string, products: IndexedProduct[]): Promise<WriteOutcome[]> {
    const response = await this.call<searchV1.UpdateAttributesRequest, searchV1.UpdateAttributesResponse>('updateAttributes', { collection, products: products.map(toProto) });
    return response.outcomes.map(toOutcome);
  }

  async deleteProduct(collection: string, productId: string, version: number): Promise<WriteOutcome> {
    const response = await this.call<searchV1.DeleteRequest, searchV1.DeleteResponse>('delete', { collection, productId, version });
    return toOutcome(response.outcome);
  }

  async getProduct(collection: string, productId: string): Promise<StoredProductRecord | null> {
    try {
      const response = await this.call<searchV1.GetProductRequest, searchV1.GetProductResponse>('getProduct', { collection, productId });
      if (!response.product) return null;
      return {
        product: fromProto(response.product),
        images: response.images.map((image) => ({ imageId: image.imageId, imageUrl: image.imageUrl })),
        failedImages: response.failedImages.map(copyFailedImage),
      };
    } catch (error) {
      if (error instanceof RejectedByDependencyError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async listCollections(): Promise<CollectionSummary[]> {
    const response = await this.call<searchV1.ListCollectionsRequest, searchV1.ListCollectionsResponse>('listCollections', {});
    return response.collections.map((info) => ({ name: info.name, modelId: info.modelId, dimension: info.dimension, aliases: [...info.aliases], productCount: Number(info.productCount) }));
  }

  async createCollection(modelId: string, dimension: number, name?: string): Promise<string> {
    const response = await this.call<searchV1.CreateCollectionRequest, searchV1.CreateCollectionResponse>('createCollection', { modelId, dimension, name: name ?? '' });
    return response.collection;
  }

  async swapAlias(alias: string, collection: string): Promise<string | undefined> {
    const response = await this.call<searchV1.SwapAliasRequest, searchV1.SwapAliasResponse>('swapAlias', { alias, collection });
    return response.previousCollection || undefined;
  }

  async dropCollection(collection: string): Promise<void> {
    await this.call<searchV1.DropCollectionRequest, searchV1.DropCollectionResponse>('dropCollection', { collection });
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(method: string, request: Req): Promise<Res> {
    const invoke = (this.client as unknown as Record<string, Unary<Req, Res>>)[method].bind(this.client);
    return new Promise((resolve, reject) => {
      invoke(request, new grpc.Metadata(), { deadline: Date.now() + this.deadlineMs }, (error, response) => {
        if (!error) return resolve(response as Res);
        const details = error.details ?? error.message;
        if (isTransientGrpcError(error)) reject(new DependencyUnavailableError('search', `${method}: ${grpc.status[error.code]}: ${details}`, { cause: error }));
        else reject(new RejectedByDependencyError('search', grpc.status[error.code] ?? String(error.code), `search ${method} refused: ${details}`));
      });
    });
  }
}

function toOutcome(outcome: searchV1.WriteOutcome): WriteOutcome {
  return OUTCOMES[outcome] ?? 'applied';
}

function toProto(product: IndexedProduct): searchV1.Product {
  return { ...product, categories: [...product.categories], attributes: { ...product.attributes }, price: { ...product.price } };
}

function copyFailedImage({ imageId, imageUrl, stage, errorCode, reason }: FailedImageRecord): FailedImageRecord {
  return { imageId, imageUrl, stage, errorCode, reason };
}

function fromProto(product: searchV1.Product): IndexedProduct {
  return {
    productId: product.productId,
    version: Number(product.version),
    title: product.title,
    description: product.description,
    brand: product.brand,
    categories: [...product.categories],
    price: { amount: product.price?.amount ?? 0, currency: product.price?.currency ?? '' },
    inStock: product.inStock,
    attributes: { ...product.attributes },
  };
}


