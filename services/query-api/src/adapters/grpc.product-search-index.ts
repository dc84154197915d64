/** The search service over gRPC (SearchClient): hybrid, vector or keyword search and "more like this", one row per product. */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, PRODUCTS_ALIAS, type SearchPage } from '@vsearch/contracts';
import { SearchCallError, type SearchClient } from '@vsearch/grpc-clients';
import { IndexModelMismatchError, ProductSearchIndex, type RequestContext, type SimilarQuery, type ProductQuery } from '../ports';

const READY_CHECK_DEADLINE_MS = 2_000;

export class GrpcProductSearchIndex extends ProductSearchIndex {
  constructor(
    private readonly client: SearchClient,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  async searchProducts(query: ProductQuery, context: RequestContext): Promise<SearchPage> {
    try {
      const page = await this.client.search(
        {
          mode: query.mode,
          vector: query.vector,
          text: query.text,
          sort: query.sort,
          fusion: query.fusion,
          filter: query.filter,
          limit: query.limit,
          offset: query.offset,
          scoreThreshold: query.scoreThreshold,
          withFacets: query.withFacets,
          modelId: query.modelId,
        },
        { requestId: context.requestId, deadlineMs: this.deadlineMs },
      );
      return page;
    } catch (error) {
      // No collection behind the alias yet: the index is being built, not a client mistake.
      if (error instanceof SearchCallError && error.code === status.NOT_FOUND)
        throw new DependencyUnavailableError('search', `no index to search yet: ${error.details}`);
      throw unavailableOr(error);
    }
  }

  async findSimilar(query: SimilarQuery, context: RequestContext): Promise<SearchPage | undefined> {
    try {
      const page = await this.client.similar(
        query.productId,
        { filter: query.filter, limit: query.limit, offset: query.offset, modelId: query.modelId },
        { requestId: context.requestId, deadlineMs: this.deadlineMs },
      );
      return page;
    } catch (error) {
      if (error instanceof SearchCallError && error.code === status.NOT_FOUND) return undefined;
      throw unavailableOr(error);
    }
  }

  /** ListCollections: the model of the collection the default alias points at. */
  async liveModelId(context: RequestContext): Promise<string> {
    let collections;
    try {
      collections = await this.client.listCollections({ requestId: context.requestId, deadlineMs: this.deadlineMs });
    } catch (error) {
      throw unavailableOr(error);
    }
    const live = collections.find((collection) => collection.aliases.includes(PRODUCTS_ALIAS));
    if (!live) throw new DependencyUnavailableError('search', `no index to search yet: the alias ${PRODUCTS_ALIAS} points at no collection`);
    return live.modelId;
  }

  async checkReady(): Promise<void> {
    try {
      await this.client.listCollections({ deadlineMs: READY_CHECK_DEADLINE_MS });
    } catch (error) {
      throw unavailableOr(error);
    }
  }
}

/**
 * The live generation holds another model than the request named (MODEL_MISMATCH): the caller
 * re-learns the live model and retries. Down, overloaded, too slow, or another failed precondition
 * (a damaged collection): 503, retry later.
 */
function unavailableOr(error: unknown): unknown {
  if (error instanceof SearchCallError && error.isModelMismatch) return new IndexModelMismatchError(error.details);
  if (error instanceof SearchCallError && (error.isTransient || error.code === status.FAILED_PRECONDITION)) {
    return new DependencyUnavailableError('search', error.details);
  }
  return error;
}
