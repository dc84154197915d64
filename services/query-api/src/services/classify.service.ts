/**
 * Ad-hoc zero-shot classification (POST /v1/classify): candidate labels, given or taken from an
 * attribute of the stored taxonomy, ranked for a shopper's photo or a stored product by the softmax
 * over the model's logit scale of their cosines (libs/zero-shot). A photo goes through the same
 * checks, SSRF-safe fetch and decode admission as photo search; a product is scored by the search
 * service from its stored image vectors (nothing is fetched or embedded).
 */
import { InvalidRequestError, NotFoundError, type LabelProbability, type TaxonomyAttribute } from '@vsearch/contracts';
import { classifyImages } from '@vsearch/zero-shot';
import { type ImagePreprocessor, type LabelVectorsOfModel, type QueryEmbedder, type RemoteImageSource, type RequestContext, type TaggingIndex } from '../ports';
import { photoBytesOf } from './photo-input';
import type { LabelVectorService } from './label-vectors.service';
import type { ModelSettingsService } from './model-settings.service';

/** What to classify: exactly one of them (the DTO makes sure). */
export type ClassifySubject = { kind: 'upload'; bytes: Uint8Array } | { kind: 'url'; imageUrl: string } | { kind: 'product'; productId: string };

/** The candidates: labels (with an optional prompt template) or the name of a stored attribute. */
export type ClassifyCandidates = { labels: string[]; template?: string } | { attribute: string };

export interface ClassifyAnswer {
  labels: LabelProbability[];
  /** The attribute the labels came from, when one was named. */
  attribute?: string;
  model: string;
}

export class ClassifyService {
  constructor(
    private readonly embedder: QueryEmbedder,
    private readonly tagging: TaggingIndex,
    private readonly remoteImages: RemoteImageSource,
    private readonly preprocessor: ImagePreprocessor,
    private readonly labelVectors: LabelVectorService,
    private readonly modelSettings: ModelSettingsService,
    private readonly options: { maxUploadBytes: number },
  ) {}

  async classify(subject: ClassifySubject, candidates: ClassifyCandidates, context: RequestContext): Promise<ClassifyAnswer> {
    // The photo is checked before anything is embedded: a bad upload costs the embedder nothing.
    const bytes = await this.photoBytes(subject, context);
    const { attribute, labels } = await this.candidateVectors(candidates, context);
    if (subject.kind === 'product') {
      const ranked = await this.tagging.classifyProduct(subject.productId, labels, context);
      if (!ranked) throw new NotFoundError('product_not_found', `no product ${subject.productId} in the index`);
      return { labels: ranked, attribute: attribute?.name, model: labels.modelId };
    }
    const { model } = await this.modelSettings.current(context);
    const pixels = await this.preprocessor.toModelPixels(bytes!, model.imageSize, context);
    const image = await this.embedder.embedQueryPixels(pixels, context);
    const ranked = classifyImages(
      [image],
      labels.labelVectors.map(({ label, vector }) => ({ label, vector })),
      labels.logitScale,
    );
    return { labels: ranked, attribute: attribute?.name, model: labels.modelId };
  }

  private async candidateVectors(
    candidates: ClassifyCandidates,
    context: RequestContext,
  ): Promise<{ attribute?: TaxonomyAttribute; labels: LabelVectorsOfModel }> {
    if ('attribute' in candidates) {
      const attribute = await this.storedAttribute(candidates.attribute, context);
      return { attribute, labels: await this.labelVectors.forTaxonomy({ attributes: [attribute] }, context) };
    }
    return { labels: await this.labelVectors.forLabels(candidates.labels, { name: '', template: candidates.template }, context) };
  }

  private async photoBytes(subject: ClassifySubject, context: RequestContext): Promise<Uint8Array | undefined> {
    if (subject.kind === 'product') return undefined;
    return photoBytesOf(subject, this.remoteImages, this.options.maxUploadBytes, context);
  }

  private async storedAttribute(name: string, context: RequestContext): Promise<TaxonomyAttribute> {
    const { taxonomy } = await this.tagging.getTagging(context);
    const attribute = taxonomy?.attributes.find((candidate) => candidate.name === name);
    if (!attribute) {
      const known = taxonomy ? taxonomy.attributes.map((candidate) => candidate.name).join(', ') : 'none: no taxonomy is stored';
      throw new InvalidRequestError('unknown_attribute', `attribute: "${name}" is not in the stored taxonomy (attributes: ${known})`);
    }
    return attribute;
  }
}
