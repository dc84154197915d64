/** The search service over gRPC (SearchClient): filtered k-NN and "more like this", one row per product. */
import { status } from '@grpc/grpc-js';
import { SearchCallError, type SearchClient, type SearchFilterInput, type SearchHitResult, type SearchPage } from '@vsearch/grpc-clients';
import { DependencyUnavailableError } from '../errors';
import { ProductIndex, type ProductFilter, type ProductHit, type ProductPage, type RequestContext, type SimilarQuery, type VectorQuery } from '../ports';

const READY_CHECK_DEADLINE_MS = 2_000;

export class GrpcProductIndex extends ProductIndex {
  constructor(
    private readonly client: SearchClient,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  async searchByVector(query: VectorQuery, context: RequestContext): Promise<ProductPage> {
    try {
      const page = await this.client.search(
        {
          vector: query.vector,
          filter: toFilter(query.filter),
          limit: query.limit,
          offset: query.offset,
          scoreThreshold: query.scoreThreshold,
          withFacets: query.withFacets,
        },
        { requestId: context.requestId, deadlineMs: this.deadlineMs },
      );
      return toPage(page);
    } catch (error) {
      // No collection behind the alias yet: the index is being built, not a client mistake.
      if (error instanceof SearchCallError && error.code === status.NOT_FOUND) throw new DependencyUnavailableError('search', `no index to search yet: ${error.details}`);
      throw unavailableOr(error);
    }
  }

  async findSimilar(query: SimilarQuery, context: RequestContext): Promise<ProductPage | undefined> {
    try {
      const page = await this.client.similar(
        query.productId,
        { filter: toFilter(query.filter), limit: query.limit, offset: query.offset },
        { requestId: context.requestId, deadlineMs: this.deadlineMs },
      );
      return toPage(page);
    } catch (error) {
      if (error instanceof SearchCallError && error.code === status.NOT_FOUND) return undefined;
      throw unavailableOr(error);
    }
  }

  async checkReady(): Promise<void> {
    try {
      await this.client.listCollections({ deadlineMs: READY_CHECK_DEADLINE_MS });
    } catch (error) {
      throw unavailableOr(error);
    }
  }
}

/** Down, overloaded, too slow, or an index of another model (FAILED_PRECONDITION): 503, retry later. */
function unavailableOr(error: unknown): unknown {
  if (error instanceof SearchCallError && (error.isTransient || error.code === status.FAILED_PRECONDITION)) {
    return new DependencyUnavailableError('search', error.details);
  }
  return error;
}

function toFilter(filter: ProductFilter): SearchFilterInput {
  return {
    categories: filter.categories,
    brands: filter.brands,
    minPrice: filter.minPrice,
    maxPrice: filter.maxPrice,
    inStock: filter.inStock,
  };
}

function toPage(page: SearchPage): ProductPage {
  return {
    hits: page.hits.map(toHit),
    facets: page.facets ?? { categories: [], brands: [] },
    modelId: page.modelId,
  };
}

function toHit(hit: SearchHitResult): ProductHit {
  return {
    productId: hit.product.productId,
    title: hit.product.title,
    brand: hit.product.brand,
    categories: hit.product.categories,
    price: hit.product.price,
    inStock: hit.product.inStock,
    score: hit.score,
    matchedImageId: hit.matchedImageId,
    imageUrl: hit.matchedImageUrl,
  };
}
