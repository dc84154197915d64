/**
 * The search service as callers see it: intent-named methods over
 * visualsearch.search.v1.SearchService, vectors as Float32Array (packed into
 * little-endian float32 bytes here), a deadline on every call, and failures
 * that keep their gRPC status (`SearchCallError.code`; `isTransient` tells
 * "try later" from a request search refuses for good). Targets are `dns:///`
 * with round_robin, so calls spread over every search pod.
 */
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, GrpcCallError, grpcTarget, packFloat32LE } from '@vsearch/grpc-kit';
import { searchV1 } from '@vsearch/proto';

export interface SearchCallOptions {
  /** Time allowed for this call in ms (default: the client's `defaultDeadlineMs`). */
  deadlineMs?: number;
  /** Sent as `x-request-id` metadata, so search's logs carry it. */
  requestId?: string;
}

export interface SearchClientOptions {
  /** `host:port` (becomes `dns:///host:port`) or a full gRPC target. */
  address: string;
  /** Default 10 s. */
  defaultDeadlineMs?: number;
  /** Largest message sent or received; default 64 MiB. */
  maxMessageBytes?: number;
  /** grpc-js channel options over the defaults (for instance a shorter reconnect backoff). */
  channelOptions?: grpc.ChannelOptions;
}

export interface SearchProductData {
  productId: string;
  version: number;
  title: string;
  description?: string;
  brand?: string;
  categories: string[];
  price: { amount: number; currency: string };
  inStock: boolean;
  attributes?: Record<string, string>;
}

/** A product as search stores and returns it (optional fields filled in). */
export type StoredSearchProduct = Required<SearchProductData>;

export interface SearchImageVector {
  imageId: string;
  imageUrl: string;
  vector: Float32Array;
}

/** An image of a product that could not be indexed, stored with the product and returned by getProduct. */
export interface SearchFailedImage {
  imageId: string;
  imageUrl: string;
  /** `fetch`, `decode` or `embed`. */
  stage: string;
  /** Machine-readable, for instance `http_status`. */
  errorCode: string;
  /** Human-readable, for instance `answered 404`. */
  reason: string;
}

/** A stored product as getProduct returns it. */
export interface StoredSearchProductWithImages {
  product: StoredSearchProduct;
  images: Array<{ imageId: string; imageUrl: string }>;
  /** Images the last write could not index; empty when all were. */
  failedImages: SearchFailedImage[];
}

export type SearchWriteOutcome = 'applied' | 'stale' | 'not_found';

export interface SearchFilterInput {
  /** Any of these categories. */
  categories?: string[];
  /** Any of these brands. */
  brands?: string[];
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
}

export interface SearchQueryInput {
  /** Collection or alias; unset means the alias `products`. */
  collection?: string;
  vector: Float32Array;
  filter?: SearchFilterInput;
  /** 1 to 100. */
  limit: number;
  offset?: number;
  scoreThreshold?: number;
  withFacets?: boolean;
}

export interface SimilarQueryInput {
  collection?: string;
  filter?: SearchFilterInput;
  limit: number;
  offset?: number;
}

export interface SearchHitResult {
  product: StoredSearchProduct;
  score: number;
  matchedImageId: string;
  matchedImageUrl: string;
}

export interface SearchFacetsResult {
  categories: Array<{ value: string; count: number }>;
  brands: Array<{ value: string; count: number }>;
}

export interface SearchPage {
  hits: SearchHitResult[];
  /** Present when asked for with `withFacets`. */
  facets?: SearchFacetsResult;
  /** The collection that answered (the alias resolved). */
  collection: string;
  modelId: string;
}

export interface SearchCollectionInfo {
  name: string;
  modelId: string;
  dimension: number;
  productCount: number;
  pointCount: number;
  aliases: string[];
}

/** A failed search call; `code` is the gRPC status (grpc.status). */
export class SearchCallError extends GrpcCallError {
  constructor(method: string, code: grpc.status, details: string) {
    super('search', method, code, details);
    this.name = 'SearchCallError';
  }
}

const SERVICE_NAME = 'visualsearch.search.v1.SearchService';
const SearchGrpcClient = grpc.makeGenericClientConstructor(searchV1.SearchServiceService, SERVICE_NAME);

const OUTCOMES: Record<number, SearchWriteOutcome> = {
  [searchV1.WriteOutcome.WRITE_OUTCOME_APPLIED]: 'applied',
  [searchV1.WriteOutcome.WRITE_OUTCOME_STALE]: 'stale',
  [searchV1.WriteOutcome.WRITE_OUTCOME_NOT_FOUND]: 'not_found',
};

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

type Method = 'upsert' | 'updateAttributes' | 'delete' | 'getProduct' | 'search' | 'similar' | 'createCollection' | 'swapAlias' | 'dropCollection' | 'listCollections';

export class SearchClient {
  private readonly client: grpc.Client;
  private readonly defaultDeadlineMs: number;

  constructor(options: SearchClientOptions) {
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 10_000;
    this.client = new SearchGrpcClient(grpcTarget(options.address), grpc.credentials.createInsecure(), {
      ...clientChannelOptions(options.maxMessageBytes),
      ...options.channelOptions,
    });
  }

  /**
   * Writes products with their image vectors and the images that could not be indexed (they
   * replace those recorded before); one outcome per product, in order ('stale' when a newer
   * version is stored).
   */
  async upsertProducts(
    products: ReadonlyArray<{ product: SearchProductData; images: SearchImageVector[]; failedImages?: readonly SearchFailedImage[] }>,
    options: SearchCallOptions & { collection?: string } = {},
  ): Promise<SearchWriteOutcome[]> {
    const response = await this.call<searchV1.UpsertRequest, searchV1.UpsertResponse>(
      'upsert',
      {
        collection: options.collection ?? '',
        products: products.map(({ product, images, failedImages }) => ({
          product: toProtoProduct(product),
          images: images.map((image) => ({ imageId: image.imageId, imageUrl: image.imageUrl, vector: packFloat32LE(image.vector) })),
          failedImages: failedImages?.length ? { images: failedImages.map(copyFailedImage) } : undefined,
        })),
      },
      options,
    );
    return response.outcomes.map(toOutcome);
  }

  /** Rewrites products' catalog data, keeping their vectors; 'not_found' when a product is not stored. */
  async updateAttributes(products: readonly SearchProductData[], options: SearchCallOptions & { collection?: string } = {}): Promise<SearchWriteOutcome[]> {
    const response = await this.call<searchV1.UpdateAttributesRequest, searchV1.UpdateAttributesResponse>(
      'updateAttributes',
      { collection: options.collection ?? '', products: products.map(toProtoProduct) },
      options,
    );
    return response.outcomes.map(toOutcome);
  }

  /** Deletes a product unless a newer version is stored (then 'stale'). */
  async deleteProduct(productId: string, version: number, options: SearchCallOptions & { collection?: string } = {}): Promise<SearchWriteOutcome> {
    const response = await this.call<searchV1.DeleteRequest, searchV1.DeleteResponse>('delete', { collection: options.collection ?? '', productId, version }, options);
    return toOutcome(response.outcome);
  }

  /** The stored product with its image ids and URLs and the images that failed, or undefined when it is not stored. */
  async getProduct(productId: string, options: SearchCallOptions & { collection?: string } = {}): Promise<StoredSearchProductWithImages | undefined> {
    const response = await this.call<searchV1.GetProductRequest, searchV1.GetProductResponse>('getProduct', { collection: options.collection ?? '', productId }, options);
    if (!response.product) return undefined;
    return {
      product: fromProtoProduct(response.product),
      images: response.images.map(({ imageId, imageUrl }) => ({ imageId, imageUrl })),
      failedImages: response.failedImages.map(copyFailedImage),
    };
  }

  /** Products nearest to a vector, filtered, one hit per product. */
  async search(query: SearchQueryInput, options: SearchCallOptions = {}): Promise<SearchPage> {
    assertUint32('search', { limit: query.limit, offset: query.offset ?? 0 });
    const response = await this.call<searchV1.SearchRequest, searchV1.SearchResponse>(
      'search',
      {
        collection: query.collection ?? '',
        vector: packFloat32LE(query.vector),
        filter: toProtoFilter(query.filter),
        limit: query.limit,
        offset: query.offset ?? 0,
        scoreThreshold: query.scoreThreshold,
        withFacets: query.withFacets ?? false,
      },
      options,
    );
    return {
      hits: response.hits.map(fromProtoHit),
      facets: response.facets ? { categories: response.facets.categories.map(fromFacet), brands: response.facets.brands.map(fromFacet) } : undefined,
      collection: response.collection,
      modelId: response.modelId,
    };
  }

  /** Products like a stored one ("more like this"), the product itself left out. */
  async similar(productId: string, query: SimilarQueryInput, options: SearchCallOptions = {}): Promise<SearchPage> {
    assertUint32('similar', { limit: query.limit, offset: query.offset ?? 0 });
    const response = await this.call<searchV1.SimilarRequest, searchV1.SimilarResponse>(
      'similar',
      { collection: query.collection ?? '', productId, filter: toProtoFilter(query.filter), limit: query.limit, offset: query.offset ?? 0 },
      options,
    );
    return { hits: response.hits.map(fromProtoHit), collection: response.collection, modelId: response.modelId };
  }

  /**
   * Creates the next index generation for a model and returns its name (`products_v{n}`); with
   * `name`, creates that generation, or fails ALREADY_EXISTS when a collection has the name.
   */
  async createGeneration(modelId: string, dimension: number, options: SearchCallOptions & { name?: string } = {}): Promise<string> {
    const response = await this.call<searchV1.CreateCollectionRequest, searchV1.CreateCollectionResponse>('createCollection', { modelId, dimension, name: options.name ?? '' }, options);
    return response.collection;
  }

  /** Points `alias` at `collection` atomically; returns the collection it pointed at before, if any. */
  async swapAlias(alias: string, collection: string, options: SearchCallOptions = {}): Promise<string | undefined> {
    const response = await this.call<searchV1.SwapAliasRequest, searchV1.SwapAliasResponse>('swapAlias', { alias, collection }, options);
    return response.previousCollection || undefined;
  }

  /** Drops a collection; FAILED_PRECONDITION while an alias points at it. */
  async dropCollection(collection: string, options: SearchCallOptions = {}): Promise<void> {
    await this.call<searchV1.DropCollectionRequest, searchV1.DropCollectionResponse>('dropCollection', { collection }, options);
  }

  /** Every collection, oldest generation first, with its counts and aliases. */
  async listCollections(options: SearchCallOptions = {}): Promise<SearchCollectionInfo[]> {
    const response = await this.call<searchV1.ListCollectionsRequest, searchV1.ListCollectionsResponse>('listCollections', {}, options);
    return response.collections.map((info) => ({
      name: info.name,
      modelId: info.modelId,
      dimension: info.dimension,
      productCount: Number(info.productCount),
      pointCount: Number(info.pointCount),
      aliases: [...info.aliases],
    }));
  }

  /** Resolves once a connection is up, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(new SearchCallError('waitForReady', grpc.status.UNAVAILABLE, error.message)) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(method: Method, request: Req, options: SearchCallOptions): Promise<Res> {
    const metadata = new grpc.Metadata();
    if (options.requestId) metadata.set('x-request-id', options.requestId);
    const deadline = Date.now() + (options.deadlineMs ?? this.defaultDeadlineMs);
    const invoke = (this.client as unknown as Record<string, UnaryMethod<Req, Res>>)[method].bind(this.client);
    return new Promise((resolve, reject) => {
      invoke(request, metadata, { deadline }, (error, response) => {
        if (error) reject(new SearchCallError(method, error.code ?? grpc.status.UNKNOWN, error.details ?? error.message));
        else resolve(response as Res);
      });
    });
  }
}

/** limit and offset are uint32 on the wire: a negative or fractional one cannot be sent, so it is refused here with the status search would give. */
function assertUint32(method: string, values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new SearchCallError(method, grpc.status.INVALID_ARGUMENT, `${name} must be an integer from 0 to 4294967295, got ${value}`);
    }
  }
}

function toOutcome(outcome: searchV1.WriteOutcome): SearchWriteOutcome {
  const mapped = OUTCOMES[outcome];
  if (!mapped) throw new SearchCallError('write', grpc.status.INTERNAL, `unexpected write outcome ${outcome}`);
  return mapped;
}

function toProtoProduct(product: SearchProductData): searchV1.Product {
  return {
    productId: product.productId,
    version: product.version,
    title: product.title,
    description: product.description ?? '',
    brand: product.brand ?? '',
    categories: [...product.categories],
    price: { amount: product.price.amount, currency: product.price.currency },
    inStock: product.inStock,
    attributes: { ...(product.attributes ?? {}) },
  };
}

function fromProtoProduct(product: searchV1.Product): StoredSearchProduct {
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

function toProtoFilter(filter: SearchFilterInput | undefined): searchV1.Filter | undefined {
  if (!filter) return undefined;
  return {
    categories: [...(filter.categories ?? [])],
    brands: [...(filter.brands ?? [])],
    minPrice: filter.minPrice,
    maxPrice: filter.maxPrice,
    inStock: filter.inStock,
  };
}

function fromProtoHit(hit: searchV1.Hit): SearchHitResult {
  return { product: fromProtoProduct(hit.product ?? searchV1.Product.decode(new Uint8Array(0))), score: hit.score, matchedImageId: hit.matchedImageId, matchedImageUrl: hit.matchedImageUrl };
}

function copyFailedImage({ imageId, imageUrl, stage, errorCode, reason }: SearchFailedImage): SearchFailedImage {
  return { imageId, imageUrl, stage, errorCode, reason };
}

function fromFacet(facet: searchV1.FacetCount): { value: string; count: number } {
  return { value: facet.value, count: facet.count };
}
