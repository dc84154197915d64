/** The search service's zero-shot tagging over gRPC (SearchClient): taxonomy, re-tag progress, previews, export, classification, one product. */
import { status } from '@grpc/grpc-js';
import {
  DependencyUnavailableError,
  InvalidRequestError,
  type LabelPreview,
  type LabelProbability,
  type ProductTagPage,
  type PutTaggingResult,
  type StoredProduct,
  type TaggingInput,
  type TaggingStatus,
} from '@vsearch/contracts';
import { SearchCallError, type SearchClient } from '@vsearch/grpc-clients';
import { TaggingIndex, type LabelVectorsOfModel, type RequestContext } from '../ports';

export class GrpcTaggingIndex extends TaggingIndex {
  constructor(
    private readonly client: SearchClient,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  putTagging(input: TaggingInput, context: RequestContext): Promise<PutTaggingResult> {
    return this.guard('taxonomy', () => this.client.putTagging(input, this.options(context)));
  }

  getTagging(context: RequestContext): Promise<TaggingStatus> {
    return this.guard('taxonomy', () => this.client.getTagging(this.options(context)));
  }

  previewTags(attribute: string, limit: number, candidate: TaggingInput | undefined, context: RequestContext): Promise<LabelPreview[]> {
    return this.guard('preview', () => this.client.previewTags(attribute, limit, { ...this.options(context), candidate }));
  }

  listTags(page: { pageToken?: string; pageSize: number }, context: RequestContext): Promise<ProductTagPage> {
    return this.guard('export', () => this.client.listTags(page, this.options(context)));
  }

  async classifyProduct(productId: string, labels: LabelVectorsOfModel, context: RequestContext): Promise<LabelProbability[] | undefined> {
    try {
      return await this.guard('classification', () => this.client.classifyProduct(productId, labels, this.options(context)));
    } catch (error) {
      if (error instanceof SearchCallError && error.code === status.NOT_FOUND) return undefined;
      throw error;
    }
  }

  async getProduct(productId: string, context: RequestContext): Promise<StoredProduct | undefined> {
    return this.guard('product', () => this.client.getProduct(productId, this.options(context)));
  }

  private options(context: RequestContext): { requestId: string; deadlineMs: number } {
    return { requestId: context.requestId, deadlineMs: this.deadlineMs };
  }

  /**
   * Down, overloaded or too slow: 503. A refusal of what we sent (INVALID_ARGUMENT: a label the store
   * cannot take; FAILED_PRECONDITION: the labels' model is not the index's, during a model rollout)
   * is answered with a 400 that says so; NOT_FOUND is left to the caller.
   */
  private async guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SearchCallError) {
        if (error.isTransient) throw new DependencyUnavailableError('search', error.details);
        if (error.code === status.INVALID_ARGUMENT)
          throw new InvalidRequestError(`invalid_${what}`, `the search service refused the ${what}: ${error.details}`);
        if (error.code === status.FAILED_PRECONDITION) throw new DependencyUnavailableError('search', error.details);
      }
      throw error;
    }
  }
}
