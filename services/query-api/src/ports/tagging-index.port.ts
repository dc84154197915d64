/**
 * Port to the search service's zero-shot tagging, as the query API reads and drives it: storing a
 * taxonomy with its label vectors (which re-tags the catalog from stored vectors), its progress,
 * previews, the tag export, classifying a stored product, and one product with its tags.
 */
import type {
  LabelPreview,
  LabelProbability,
  LabelVector,
  ProductTagPage,
  PutTaggingResult,
  StoredProduct,
  TaggingInput,
  TaggingStatus,
} from '@vsearch/contracts';
import type { RequestContext } from './request-context';

/** Candidate labels as vectors of one model, for a classification. */
export interface LabelVectorsOfModel {
  labelVectors: LabelVector[];
  modelId: string;
  logitScale: number;
}

export abstract class TaggingIndex {
  /**
   * Stores the taxonomy as the next version and starts re-tagging; `queued` when a re-tag was running
   * (this one follows it). Throws InvalidRequestError when the search service refuses the taxonomy.
   */
  abstract putTagging(input: TaggingInput, context: RequestContext): Promise<PutTaggingResult>;
  /** The active taxonomy (absent before the first one) and the re-tag's progress. */
  abstract getTagging(context: RequestContext): Promise<TaggingStatus>;
  /** Per label of `attribute`: the products that would get it, of the active taxonomy or of `candidate`. */
  abstract previewTags(attribute: string, limit: number, candidate: TaggingInput | undefined, context: RequestContext): Promise<LabelPreview[]>;
  /** One page of (product, tag) rows by product id. */
  abstract listTags(page: { pageToken?: string; pageSize: number }, context: RequestContext): Promise<ProductTagPage>;
  /** Candidates ranked for a stored product; `undefined` when the product is not in the index. */
  abstract classifyProduct(productId: string, labels: LabelVectorsOfModel, context: RequestContext): Promise<LabelProbability[] | undefined>;
  /** The stored product with its images, failed images and tags; `undefined` when it is not in the index. */
  abstract getProduct(productId: string, context: RequestContext): Promise<StoredProduct | undefined>;
}
