/**
 * Merchandisers' zero-shot tagging, behind the admin routes: a taxonomy validated (contracts), its
 * labels checked against the model's vocabulary and embedded (LabelVectorService), stored by the
 * search service (which re-tags the catalog from stored vectors: no image is fetched or embedded);
 * the re-tag's progress, previews before applying, re-applying the stored taxonomy, and the export.
 */
import {
  InvalidRequestError,
  NotFoundError,
  validateTaxonomy,
  type LabelPreview,
  type ProductTagRow,
  type PutTaggingResult,
  type TaggingStatus,
  type TaxonomyInput,
} from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { RequestContext, TaggingIndex } from '../ports';
import type { LabelVectorService } from './label-vectors.service';

/** Products per ListTags page while exporting. */
export const EXPORT_PAGE_SIZE = 500;

export class TaxonomyAdminService {
  constructor(
    private readonly tagging: TaggingIndex,
    private readonly labelVectors: LabelVectorService,
    private readonly logger: Logger,
  ) {}

  /**
   * Stores `candidate` as the next taxonomy version and re-tags the catalog; a re-tag already
   * running is never interrupted: the new version is queued behind it (`queued`), and a newer
   * upload replaces a queued one, so no two versions are ever half-applied.
   */
  async setTaxonomy(candidate: unknown, client: string, context: RequestContext): Promise<PutTaggingResult> {
    const taxonomy = parseTaxonomy(candidate);
    const vectors = await this.labelVectors.forTaxonomy(taxonomy, context);
    const result = await this.tagging.putTagging({ taxonomy, ...vectors }, context);
    this.logger.info(
      {
        requestId: context.requestId,
        client,
        taxonomyVersion: result.taxonomyVersion,
        queued: result.queued,
        attributes: taxonomy.attributes.map((a) => a.name),
      },
      'taxonomy stored',
    );
    return result;
  }

  /** The active taxonomy and the re-tag's progress. */
  status(context: RequestContext): Promise<TaggingStatus> {
    return this.tagging.getTagging(context);
  }

  /** The stored taxonomy embedded again with the model served now, stored as the next version and re-tagged. */
  async reapply(client: string, context: RequestContext): Promise<PutTaggingResult> {
    const { taxonomy } = await this.tagging.getTagging(context);
    if (!taxonomy) throw new NotFoundError('no_taxonomy', 'no taxonomy is stored yet: PUT /v1/admin/taxonomy (vsearch tags set) first');
    return this.setTaxonomy({ attributes: taxonomy.attributes }, client, context);
  }

  /** What each label of `attribute` would tag: of the stored taxonomy, or of `candidate` before it is applied. */
  async preview(attribute: string, limit: number, candidate: unknown, context: RequestContext): Promise<LabelPreview[]> {
    if (candidate === undefined) {
      const { taxonomy } = await this.tagging.getTagging(context);
      if (!taxonomy) throw new NotFoundError('no_taxonomy', 'no taxonomy is stored yet: send one in the body to preview it before applying');
      requireAttribute(taxonomy, attribute);
      return this.tagging.previewTags(attribute, limit, undefined, context);
    }
    const taxonomy = parseTaxonomy(candidate);
    requireAttribute(taxonomy, attribute);
    const vectors = await this.labelVectors.forTaxonomy(taxonomy, context);
    return this.tagging.previewTags(attribute, limit, { taxonomy, ...vectors }, context);
  }

  /** Every stored tag, page by page in product id order (for the CSV export). */
  async *exportTags(context: RequestContext): AsyncGenerator<ProductTagRow[]> {
    let pageToken: string | undefined;
    do {
      const page = await this.tagging.listTags({ pageToken, pageSize: EXPORT_PAGE_SIZE }, context);
      yield page.rows;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
}

/** A taxonomy from any admin body, or a 400 naming the attribute and label at fault. */
export function parseTaxonomy(candidate: unknown): TaxonomyInput {
  const result = validateTaxonomy(candidate);
  if (!result.ok) throw new InvalidRequestError('invalid_taxonomy', result.error.message);
  return result.value;
}

function requireAttribute(taxonomy: TaxonomyInput, attribute: string): void {
  if (!taxonomy.attributes.some((candidate) => candidate.name === attribute)) {
    const known = taxonomy.attributes.map((candidate) => candidate.name).join(', ');
    throw new InvalidRequestError('unknown_attribute', `attribute: "${attribute}" is not in the taxonomy (it has ${known})`);
  }
}
