/**
 * The search service as callers see it: intent-named methods over
 * visualsearch.search.v1.SearchService, vectors as Float32Array (packed into
 * little-endian float32 bytes here), a deadline on every call, and failures
 * that keep their gRPC status (`SearchCallError.code`; `isTransient` tells
 * "try later" from a request search refuses for good; `isCollectionDamaged`
 * tells a damaged collection, which waits for its rebuild, from the other
 * FAILED_PRECONDITIONs). Targets are `dns:///`
 * with round_robin, so calls spread over every search pod.
 */
import * as grpc from '@grpc/grpc-js';
import type {
  CollectionInfo,
  LabelPreview,
  LabelProbability,
  LabelVector,
  ProductData,
  ProductTagPage,
  PutTaggingResult,
  ProductWithImageVectors,
  SearchFilter,
  SearchPage,
  SearchQuery,
  StoredProduct,
  TaggingInput,
  TaggingStatus,
  WriteOutcome,
} from '@vsearch/contracts';
import { clientChannelOptions, errorReasonFrom, GrpcCallError, grpcTarget } from '@vsearch/grpc-kit';
import { searchV1 } from '@vsearch/proto';
import {
  collectionFromProto,
  filterToProto,
  labelPreviewsFromProto,
  labelProbabilitiesFromProto,
  labelVectorsToProto,
  MalformedMessageError,
  pageFromProto,
  productToProto,
  productWritesToProto,
  searchRequestToProto,
  storedProductFromProto,
  taggingInputToProto,
  taggingStatusFromProto,
  tagPageFromProto,
  writeOutcomeFromProto,
} from './search.codec';

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

/** What one search call asks for: the query vector and/or words, mode, sort, filter, paging, cut-off and facets. */
export type SearchQueryInput = SearchQuery;

export interface SimilarQueryInput {
  collection?: string;
  /** The model the caller expects the collection's vectors to come from; see SearchQuery.modelId. */
  modelId?: string;
  filter?: SearchFilter;
  limit: number;
  offset?: number;
}

/**
 * Reasons search sends beside a status (`x-error-reason`, grpc-kit), for cases one status does
 * not tell apart. COLLECTION_DAMAGED: FAILED_PRECONDITION because the collection's stored files
 * failed verification; it is not served until a rebuild replaces it (a writer waits for that
 * instead of treating its write as refused). MODEL_MISMATCH: FAILED_PRECONDITION because the
 * request names another model than the collection's (the message names both); a caller learns the
 * collection's model (ListCollections, or a response's model id) and retries with vectors of it.
 */
export const SearchErrorReason = {
  collectionDamaged: 'COLLECTION_DAMAGED',
  modelMismatch: 'MODEL_MISMATCH',
} as const;

/** A failed search call; `code` is the gRPC status (grpc.status), `reason` search's reason within it (SearchErrorReason). */
export class SearchCallError extends GrpcCallError {
  constructor(method: string, code: grpc.status, details: string, reason?: string) {
    super('search', method, code, details, reason);
    this.name = 'SearchCallError';
  }

  /** The collection is damaged and refused until a rebuild replaces it (SearchErrorReason.collectionDamaged). */
  get isCollectionDamaged(): boolean {
    return this.code === grpc.status.FAILED_PRECONDITION && this.reason === SearchErrorReason.collectionDamaged;
  }

  /** The request named another model than the collection's (SearchErrorReason.modelMismatch). */
  get isModelMismatch(): boolean {
    return this.code === grpc.status.FAILED_PRECONDITION && this.reason === SearchErrorReason.modelMismatch;
  }
}

const SERVICE_NAME = 'visualsearch.search.v1.SearchService';
const SearchGrpcClient = grpc.makeGenericClientConstructor(searchV1.SearchServiceService, SERVICE_NAME);

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

type Method =
  | 'upsert'
  | 'updateAttributes'
  | 'delete'
  | 'getProduct'
  | 'search'
  | 'similar'
  | 'createCollection'
  | 'swapAlias'
  | 'dropCollection'
  | 'listCollections'
  | 'putTagging'
  | 'getTagging'
  | 'previewTags'
  | 'listTags'
  | 'classifyProduct';

/** Where a tagging call applies; unset means the alias "products". */
export interface TaggingCallOptions extends SearchCallOptions {
  collection?: string;
}

/** The model a classification's label vectors come from. */
export interface LabelVectorsOfModel {
  labelVectors: LabelVector[];
  modelId: string;
  logitScale: number;
}

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
    products: readonly ProductWithImageVectors[],
    options: SearchCallOptions & { collection?: string; /** the model the vectors came from */ modelId?: string } = {},
  ): Promise<WriteOutcome[]> {
    const response = await this.call<searchV1.UpsertRequest, searchV1.UpsertResponse>(
      'upsert',
      { collection: options.collection ?? '', products: productWritesToProto(products), modelId: options.modelId ?? '' },
      options,
    );
    return response.outcomes.map((outcome) => this.outcome('upsert', outcome));
  }

  /** Rewrites products' catalog data, keeping their vectors; 'not_found' when a product is not stored. */
  async updateAttributes(products: readonly ProductData[], options: SearchCallOptions & { collection?: string } = {}): Promise<WriteOutcome[]> {
    const response = await this.call<searchV1.UpdateAttributesRequest, searchV1.UpdateAttributesResponse>(
      'updateAttributes',
      { collection: options.collection ?? '', products: products.map(productToProto) },
      options,
    );
    return response.outcomes.map((outcome) => this.outcome('updateAttributes', outcome));
  }

  /** Deletes a product unless a newer version is stored (then 'stale'). */
  async deleteProduct(productId: string, version: number, options: SearchCallOptions & { collection?: string } = {}): Promise<WriteOutcome> {
    const response = await this.call<searchV1.DeleteRequest, searchV1.DeleteResponse>(
      'delete',
      { collection: options.collection ?? '', productId, version },
      options,
    );
    return this.outcome('delete', response.outcome);
  }

  /** The stored product with its image ids and URLs and the images that failed, or undefined when it is not stored. */
  async getProduct(productId: string, options: SearchCallOptions & { collection?: string } = {}): Promise<StoredProduct | undefined> {
    const response = await this.call<searchV1.GetProductRequest, searchV1.GetProductResponse>(
      'getProduct',
      { collection: options.collection ?? '', productId },
      options,
    );
    return storedProductFromProto(response);
  }

  /** Products nearest to a vector, filtered, one hit per product. */
  async search(query: SearchQueryInput, options: SearchCallOptions = {}): Promise<SearchPage> {
    assertUint32('search', { limit: query.limit, offset: query.offset ?? 0 });
    const response = await this.call<searchV1.SearchRequest, searchV1.SearchResponse>('search', searchRequestToProto(query), options);
    return pageFromProto(response);
  }

  /** Products like a stored one ("more like this"), the product itself left out. */
  async similar(productId: string, query: SimilarQueryInput, options: SearchCallOptions = {}): Promise<SearchPage> {
    assertUint32('similar', { limit: query.limit, offset: query.offset ?? 0 });
    const response = await this.call<searchV1.SimilarRequest, searchV1.SimilarResponse>(
      'similar',
      {
        collection: query.collection ?? '',
        productId,
        filter: filterToProto(query.filter),
        limit: query.limit,
        offset: query.offset ?? 0,
        modelId: query.modelId ?? '',
      },
      options,
    );
    return pageFromProto(response);
  }

  /**
   * Creates the next index generation for a model and returns its name (`products_v{n}`); with
   * `name`, creates that generation, or fails ALREADY_EXISTS when a collection has the name.
   */
  async createGeneration(modelId: string, dimension: number, options: SearchCallOptions & { name?: string } = {}): Promise<string> {
    const response = await this.call<searchV1.CreateCollectionRequest, searchV1.CreateCollectionResponse>(
      'createCollection',
      { modelId, dimension, name: options.name ?? '' },
      options,
    );
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
  async listCollections(options: SearchCallOptions = {}): Promise<CollectionInfo[]> {
    const response = await this.call<searchV1.ListCollectionsRequest, searchV1.ListCollectionsResponse>('listCollections', {}, options);
    return response.collections.map(collectionFromProto);
  }

  /**
   * Stores a taxonomy with its label vectors as the next version and starts re-tagging the
   * collection from its stored vectors; `queued` when a re-tag was running (this one follows it,
   * a newer one replaces it). FAILED_PRECONDITION when `modelId` is not the collection's model.
   */
  async putTagging(input: TaggingInput, options: TaggingCallOptions = {}): Promise<PutTaggingResult> {
    const response = await this.call<searchV1.PutTaggingRequest, searchV1.PutTaggingResponse>(
      'putTagging',
      { collection: options.collection ?? '', ...taggingInputToProto(input) },
      options,
    );
    return { taxonomyVersion: response.taxonomyVersion, queued: response.queued };
  }

  /** The active taxonomy (absent before the first putTagging) and the re-tag's progress. */
  async getTagging(options: TaggingCallOptions = {}): Promise<TaggingStatus> {
    const response = await this.call<searchV1.GetTaggingRequest, searchV1.GetTaggingResponse>('getTagging', { collection: options.collection ?? '' }, options);
    try {
      return taggingStatusFromProto(response);
    } catch (error) {
      if (error instanceof MalformedMessageError) throw new SearchCallError('getTagging', grpc.status.INTERNAL, error.message);
      throw error;
    }
  }

  /**
   * Per label of `attribute`, how many products would get it and the `limit` most confident: of the
   * active taxonomy, or of `candidate` (a taxonomy not applied yet, with its label vectors).
   */
  async previewTags(attribute: string, limit: number, options: TaggingCallOptions & { candidate?: TaggingInput } = {}): Promise<LabelPreview[]> {
    assertUint32('previewTags', { limit });
    const candidate = options.candidate ? taggingInputToProto(options.candidate) : { taxonomyJson: '', labelVectors: [], modelId: '', logitScale: 0 };
    const response = await this.call<searchV1.PreviewTagsRequest, searchV1.PreviewTagsResponse>(
      'previewTags',
      { collection: options.collection ?? '', attribute, limit, ...candidate },
      options,
    );
    return labelPreviewsFromProto(response);
  }

  /** One page of (product, tag) rows by product id; pass the returned token for the next page. */
  async listTags(page: { pageToken?: string; pageSize?: number } = {}, options: TaggingCallOptions = {}): Promise<ProductTagPage> {
    assertUint32('listTags', { pageSize: page.pageSize ?? 0 });
    const response = await this.call<searchV1.ListTagsRequest, searchV1.ListTagsResponse>(
      'listTags',
      { collection: options.collection ?? '', pageToken: page.pageToken ?? '', pageSize: page.pageSize ?? 0 },
      options,
    );
    return tagPageFromProto(response);
  }

  /** Candidate labels ranked for a stored product, most probable first (softmax over the model's logit scale). */
  async classifyProduct(productId: string, labels: LabelVectorsOfModel, options: TaggingCallOptions = {}): Promise<LabelProbability[]> {
    const response = await this.call<searchV1.ClassifyProductRequest, searchV1.ClassifyProductResponse>(
      'classifyProduct',
      {
        collection: options.collection ?? '',
        productId,
        labelVectors: labelVectorsToProto(labels.labelVectors),
        modelId: labels.modelId,
        logitScale: labels.logitScale,
      },
      options,
    );
    return labelProbabilitiesFromProto(response);
  }

  /** Resolves once a connection is up, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) =>
        error ? reject(new SearchCallError('waitForReady', grpc.status.UNAVAILABLE, error.message)) : resolve(),
      ),
    );
  }

  close(): void {
    this.client.close();
  }

  /** An outcome this client does not know means the two sides disagree on the contract: fail the call rather than guess. */
  private outcome(method: Method, outcome: searchV1.WriteOutcome): WriteOutcome {
    try {
      return writeOutcomeFromProto(outcome);
    } catch (error) {
      if (error instanceof MalformedMessageError) throw new SearchCallError(method, grpc.status.INTERNAL, error.message);
      throw error;
    }
  }

  private call<Req, Res>(method: Method, request: Req, options: SearchCallOptions): Promise<Res> {
    const metadata = new grpc.Metadata();
    if (options.requestId) metadata.set('x-request-id', options.requestId);
    const deadline = Date.now() + (options.deadlineMs ?? this.defaultDeadlineMs);
    const invoke = (this.client as unknown as Record<string, UnaryMethod<Req, Res>>)[method].bind(this.client);
    return new Promise((resolve, reject) => {
      invoke(request, metadata, { deadline }, (error, response) => {
        if (error) reject(new SearchCallError(method, error.code ?? grpc.status.UNKNOWN, error.details ?? error.message, errorReasonFrom(error.metadata)));
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
