/**
 * Describing a shopper's photo and answering a question about it (POST /v1/describe, POST /v1/ask)
 * with the describer model. A photo takes photo search's path up to the model: the same checks,
 * SSRF-safe fetch, decode admission and rate-limit charge, then pixels of the describer's size; a
 * stored product is asked about through its first indexed image, fetched like a photo URL. The
 * attributes of a description are the catalog values it names (`namedAttributes`, the rule the
 * describer's evaluation scores by), so a client gets `colour: "red"` without parsing text.
 */
import { namedAttributes, NAMED_ATTRIBUTES, type NamedAttribute } from '@vsearch/catalog-generator';
import { InvalidRequestError, NotFoundError, type DescriberInfo, type FinishReason } from '@vsearch/contracts';
import type { ImagePreprocessor, ProductDescriber, RemoteImageSource, RequestContext } from '../ports';
import { photoBytesOf, type PhotoSource } from './photo-input';
import type { ProductDetailService } from './product-detail.service';

/** A rollout of the describer is seen within this time. */
export const DESCRIBER_INFO_TTL_MS = 30_000;

/** What to ask about: a photo, or a stored product (its first indexed image). */
export type AskSubject = PhotoSource | { kind: 'product'; productId: string };

export interface DescribeAnswer {
  description: string;
  /** Each attribute whose value the description names, when it names exactly one (two colours named: left out). */
  attributes: Partial<Record<NamedAttribute, string>>;
  finishReason: FinishReason;
  model: string;
}

export interface AskAnswer {
  answer: string;
  answerable: boolean;
  unknownWords: string[];
  model: string;
}

export interface DescribeServiceOptions {
  maxUploadBytes: number;
  nowMs?: () => number;
}

export class DescribeService {
  private cachedInfo?: { info: DescriberInfo; expiresAtMs: number };
  private readonly nowMs: () => number;

  constructor(
    private readonly describer: ProductDescriber,
    private readonly remoteImages: RemoteImageSource,
    private readonly preprocessor: ImagePreprocessor,
    private readonly productDetails: ProductDetailService,
    private readonly options: DescribeServiceOptions,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  async describe(photo: PhotoSource, context: RequestContext): Promise<DescribeAnswer> {
    const bytes = await photoBytesOf(photo, this.remoteImages, this.options.maxUploadBytes, context);
    const pixels = await this.modelPixels(bytes, context);
    const { description, modelId } = await this.describer.describePixels(pixels, context);
    return { description: description.text, attributes: singleNamedValues(description.text), finishReason: description.finishReason, model: modelId };
  }

  async ask(subject: AskSubject, question: string, context: RequestContext): Promise<AskAnswer> {
    // The question is checked before anything is fetched or decoded: a bad one costs nothing.
    const info = await this.info(context);
    if (question.length > info.maxQuestionChars) {
      throw new InvalidRequestError('question_too_long', `question: must be at most ${info.maxQuestionChars} characters, got ${question.length}`);
    }
    const photo = subject.kind === 'product' ? await this.productPhoto(subject.productId, context) : subject;
    const bytes = await photoBytesOf(photo, this.remoteImages, this.options.maxUploadBytes, context);
    const pixels = await this.modelPixels(bytes, context);
    const answer = await this.describer.askAboutPixels(pixels, question, context);
    return { answer: answer.answer.text, answerable: answer.answerable, unknownWords: answer.unknownWords, model: answer.modelId };
  }

  private async productPhoto(productId: string, context: RequestContext): Promise<PhotoSource> {
    const stored = await this.productDetails.product(productId, context);
    const [image] = stored.images;
    if (!image) throw new NotFoundError('product_image_not_found', `product ${productId} has no indexed image to ask about`);
    return { kind: 'url', imageUrl: image.imageUrl };
  }

  private async modelPixels(bytes: Uint8Array, context: RequestContext): Promise<Uint8Array> {
    const { imageSize } = await this.info(context);
    return this.preprocessor.toModelPixels(bytes, imageSize, context);
  }

  private async info(context: RequestContext): Promise<DescriberInfo> {
    if (this.cachedInfo && this.cachedInfo.expiresAtMs > this.nowMs()) return this.cachedInfo.info;
    const info = await this.describer.describeModel(context);
    this.cachedInfo = { info, expiresAtMs: this.nowMs() + DESCRIBER_INFO_TTL_MS };
    return info;
  }
}

function singleNamedValues(text: string): Partial<Record<NamedAttribute, string>> {
  const named = namedAttributes(text);
  const attributes: Partial<Record<NamedAttribute, string>> = {};
  for (const attribute of NAMED_ATTRIBUTES) {
    const values = [...named[attribute]];
    if (values.length === 1) attributes[attribute] = values[0];
  }
  return attributes;
}
