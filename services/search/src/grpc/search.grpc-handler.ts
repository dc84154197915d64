/**
 * gRPC handlers of visualsearch.search.v1.SearchService: each converts the
 * request with searchCodec, delegates in one call to the vector-store port
 * (there is no logic of its own between them), and converts the result. This
 * is the service's one mapping of failures to statuses a client can act on:
 * invalid-argument → INVALID_ARGUMENT, not-found → NOT_FOUND,
 * already-exists → ALREADY_EXISTS (CreateCollection of a named generation that
 * exists: another ingestion replica created it first), failed-precondition → FAILED_PRECONDITION (for instance the alias
 * `products` pointing nowhere before ingestion's first CreateCollection +
 * SwapAlias), unavailable → UNAVAILABLE; a malformed message (codec) →
 * INVALID_ARGUMENT; anything else is INTERNAL.
 * GetProduct of a product that is not stored answers OK with no product.
 * A damaged collection (embedded store) is failed-precondition for every read
 * and write, not UNAVAILABLE: retrying cannot help until it is rebuilt, and
 * clients treat UNAVAILABLE as transient. It carries the reason
 * COLLECTION_DAMAGED (`x-error-reason`, SearchErrorReason), so a writer can
 * tell it from the other FAILED_PRECONDITIONs and wait for the rebuild
 * instead of dead-lettering. Model guard (DESIGN.md principle 5): Upsert, Similar and a Search
 * with a query vector must name the model their vectors came from (`model_id`; missing →
 * INVALID_ARGUMENT naming the field); the store refuses another model than the collection's with
 * FAILED_PRECONDITION naming both and the reason MODEL_MISMATCH. A keyword-only search carries no
 * vector, so nothing in it depends on a model and it needs none (a named one is still checked).
 * After CreateCollection, SwapAlias and
 * DropCollection the per-collection health is refreshed (CollectionHealth).
 * Zero-shot tagging (PutTagging, GetTagging, PreviewTags, ListTags, ClassifyProduct, and the tags
 * an upsert gets) delegates to services/tagging.service.ts.
 */
import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { SearchErrorReason, searchCodec } from '@vsearch/grpc-clients';
import { GrpcError, GrpcStatus, toServiceError, unary } from '@vsearch/grpc-kit';
import { requestIdFrom, REQUEST_ID_HEADER, type Logger } from '@vsearch/observability';
import type { searchV1 } from '@vsearch/proto';
import { VectorStore, VectorStoreError, type VectorStoreErrorKind, type VectorStoreErrorReason } from '@vsearch/vector-store';
import type { CollectionHealth } from '../health/collection-health';
import type { SearchMetrics } from '../metrics/search.metrics';
import type { TaggingService } from '../services/tagging.service';

const STATUS_OF: Record<VectorStoreErrorKind, GrpcStatus> = {
  'invalid-argument': GrpcStatus.INVALID_ARGUMENT,
  'not-found': GrpcStatus.NOT_FOUND,
  'already-exists': GrpcStatus.ALREADY_EXISTS,
  'failed-precondition': GrpcStatus.FAILED_PRECONDITION,
  unavailable: GrpcStatus.UNAVAILABLE,
};

const REASON_OF: Record<VectorStoreErrorReason, string> = {
  'collection-damaged': SearchErrorReason.collectionDamaged,
  'model-mismatch': SearchErrorReason.modelMismatch,
};

export class SearchGrpcHandler {
  constructor(
    private readonly store: VectorStore,
    private readonly tagging: TaggingService,
    private readonly metrics: SearchMetrics,
    private readonly logger: Logger,
    private readonly collectionHealth: CollectionHealth,
  ) {}

  implementation(): UntypedServiceImplementation {
    return {
      upsert: unary((request: searchV1.UpsertRequest, call) => this.handle('Upsert', call, () => this.upsert(request))),
      updateAttributes: unary((request: searchV1.UpdateAttributesRequest, call) => this.handle('UpdateAttributes', call, () => this.updateAttributes(request))),
      delete: unary((request: searchV1.DeleteRequest, call) => this.handle('Delete', call, () => this.delete(request))),
      getProduct: unary((request: searchV1.GetProductRequest, call) => this.handle('GetProduct', call, () => this.getProduct(request))),
      search: unary((request: searchV1.SearchRequest, call) => this.handle('Search', call, () => this.search(request))),
      similar: unary((request: searchV1.SimilarRequest, call) => this.handle('Similar', call, () => this.similar(request))),
      createCollection: unary((request: searchV1.CreateCollectionRequest, call) => this.handle('CreateCollection', call, () => this.createCollection(request))),
      swapAlias: unary((request: searchV1.SwapAliasRequest, call) => this.handle('SwapAlias', call, () => this.swapAlias(request))),
      dropCollection: unary((request: searchV1.DropCollectionRequest, call) => this.handle('DropCollection', call, () => this.dropCollection(request))),
      listCollections: unary((_request: searchV1.ListCollectionsRequest, call) => this.handle('ListCollections', call, () => this.listCollections())),
      putTagging: unary((request: searchV1.PutTaggingRequest, call) => this.handle('PutTagging', call, () => this.putTagging(request))),
      getTagging: unary((_request: searchV1.GetTaggingRequest, call) =>
        this.handle('GetTagging', call, async () => searchCodec.taggingStatusToProto(await this.tagging.describe())),
      ),
      previewTags: unary((request: searchV1.PreviewTagsRequest, call) => this.handle('PreviewTags', call, () => this.previewTags(request))),
      listTags: unary((request: searchV1.ListTagsRequest, call) => this.handle('ListTags', call, () => this.listTags(request))),
      classifyProduct: unary((request: searchV1.ClassifyProductRequest, call) => this.handle('ClassifyProduct', call, () => this.classifyProduct(request))),
    };
  }

  private async upsert(request: searchV1.UpsertRequest): Promise<searchV1.UpsertResponse> {
    const modelId = requiredModelId(request.modelId, 'an upsert names the model its vectors came from');
    const products = await this.tagging.tagForUpsert(request.collection, searchCodec.productWritesFromProto(request.products));
    const outcomes = await this.store.upsertProducts(request.collection, products, { modelId });
    return { outcomes: outcomes.map(searchCodec.writeOutcomeToProto) };
  }

  private async updateAttributes(request: searchV1.UpdateAttributesRequest): Promise<searchV1.UpdateAttributesResponse> {
    const products = request.products.map((product, position) => searchCodec.requiredProductFromProto(product, position));
    const outcomes = await this.store.updateAttributes(request.collection, products);
    return { outcomes: outcomes.map(searchCodec.writeOutcomeToProto) };
  }

  private async delete(request: searchV1.DeleteRequest): Promise<searchV1.DeleteResponse> {
    return { outcome: searchCodec.writeOutcomeToProto(await this.store.deleteProduct(request.collection, request.productId, Number(request.version))) };
  }

  private async getProduct(request: searchV1.GetProductRequest): Promise<searchV1.GetProductResponse> {
    return searchCodec.storedProductToProto(await this.store.getProduct(request.collection, request.productId));
  }

  private async search(request: searchV1.SearchRequest): Promise<searchV1.SearchResponse> {
    const query = searchCodec.searchRequestFromProto(request);
    if (query.vector) requiredModelId(query.modelId, 'a search with a query vector names the model the vector came from');
    const page = await this.store.searchSimilar(query);
    return searchCodec.pageToProto(page);
  }

  private async similar(request: searchV1.SimilarRequest): Promise<searchV1.SimilarResponse> {
    const page = await this.store.similarToProduct({
      collection: request.collection,
      productId: request.productId,
      modelId: requiredModelId(request.modelId, 'a similar request names the model it expects the collection to hold'),
      filter: searchCodec.filterFromProto(request.filter),
      limit: request.limit,
      offset: request.offset,
    });
    const { hits, collection, modelId } = searchCodec.pageToProto(page);
    return { hits, collection, modelId };
  }

  private async createCollection(request: searchV1.CreateCollectionRequest): Promise<searchV1.CreateCollectionResponse> {
    const collection = await this.store.createGeneration(request.modelId, request.dimension, request.name || undefined);
    await this.collectionHealth.refresh();
    return { collection };
  }

  private async swapAlias(request: searchV1.SwapAliasRequest): Promise<searchV1.SwapAliasResponse> {
    const previous = await this.store.swapAlias(request.alias, request.collection);
    await this.collectionHealth.refresh();
    return { previousCollection: previous ?? '' };
  }

  private async dropCollection(request: searchV1.DropCollectionRequest): Promise<searchV1.DropCollectionResponse> {
    await this.store.dropCollection(request.collection);
    await this.collectionHealth.refresh();
    return {};
  }

  private async listCollections(): Promise<searchV1.ListCollectionsResponse> {
    return { collections: (await this.store.listCollections()).map(searchCodec.collectionToProto) };
  }

  private async putTagging(request: searchV1.PutTaggingRequest): Promise<searchV1.PutTaggingResponse> {
    return this.tagging.put(request.collection, searchCodec.taggingInputFromProto(request));
  }

  private async previewTags(request: searchV1.PreviewTagsRequest): Promise<searchV1.PreviewTagsResponse> {
    const candidate = request.taxonomyJson ? searchCodec.taggingInputFromProto(request) : undefined;
    return searchCodec.labelPreviewsToProto(await this.tagging.preview(request.collection, request.attribute, request.limit, candidate));
  }

  private async listTags(request: searchV1.ListTagsRequest): Promise<searchV1.ListTagsResponse> {
    return searchCodec.tagPageToProto(await this.tagging.listTags(request.collection, request.pageToken, request.pageSize));
  }

  private async classifyProduct(request: searchV1.ClassifyProductRequest): Promise<searchV1.ClassifyProductResponse> {
    const labels = searchCodec.labelVectorsFromProto(request.labelVectors);
    return searchCodec.labelProbabilitiesToProto(
      await this.tagging.classify(request.collection, request.productId, labels, request.modelId, request.logitScale),
    );
  }

  /** Per call: request id and logger, store errors → gRPC statuses, latency by method and code. */
  private async handle<T>(method: string, call: ServerUnaryCall<unknown, unknown>, work: () => Promise<T>): Promise<T> {
    const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_HEADER).map(String));
    const log = this.logger.child({ requestId, method });
    const stopTimer = this.metrics.rpcDuration.startTimer({ method });
    try {
      const result = await work();
      stopTimer({ code: 'OK' });
      return result;
    } catch (thrown) {
      const error = toGrpcError(thrown);
      const { code, details } = toServiceError(error);
      const codeName = GrpcStatus[code ?? GrpcStatus.UNKNOWN];
      stopTimer({ code: codeName });
      if (code === GrpcStatus.INTERNAL) log.error({ err: thrown }, 'call failed');
      else if (code === GrpcStatus.UNAVAILABLE) log.warn({ code: codeName, details }, 'store unavailable');
      else log.info({ code: codeName, details }, 'call refused');
      throw error;
    }
  }
}

/** The request's model id, refused with INVALID_ARGUMENT naming the field when it is empty. */
function requiredModelId(modelId: string | undefined, why: string): string {
  if (!modelId) throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, `model_id is required: ${why} (name@version+dtype, as GetModelInfo reports it)`);
  return modelId;
}

/** The store's and the codec's typed failures as the statuses a client can act on; anything else stays INTERNAL. */
function toGrpcError(thrown: unknown): unknown {
  if (thrown instanceof VectorStoreError) return new GrpcError(STATUS_OF[thrown.kind], thrown.message, thrown.reason ? REASON_OF[thrown.reason] : undefined);
  if (thrown instanceof searchCodec.MalformedMessageError) return new GrpcError(GrpcStatus.INVALID_ARGUMENT, thrown.message);
  return thrown;
}
