/**
 * Shopper searches: by text (embedded on the interactive lane, cached, cut
 * off below the model's text score threshold), by photo (preprocessed on this
 * pod, pixels sent on the embedder's fast path, cut off below the model's image
 * score threshold when it has one) and "more like this".
 */
import { InvalidRequestError, NotFoundError, type SearchFilter, type SearchPage } from '@vsearch/contracts';
import type { QueryApiMetrics } from '../metrics/query-api.metrics';
import { ImageInputError, type ImagePreprocessor, type ProductSearchIndex, type QueryEmbedder, type RemoteImageSource, type RequestContext } from '../ports';
import { sniffImageFormat } from './image-format';
import type { ModelSettingsService } from './model-settings.service';
import { normaliseQueryText, type QueryEmbeddingCache } from './query-embedding.cache';

/** Which page of which products a search asks for. */
export interface PageRequest {
  filter: SearchFilter;
  limit: number;
  offset: number;
}

/** A page of hits, the model the query was embedded with, and how long the search took. */
export interface SearchAnswer {
  page: SearchPage;
  modelId: string;
  tookMs: number;
}

export class ProductSearchService {
  constructor(
    private readonly embedder: QueryEmbedder,
    private readonly searchIndex: ProductSearchIndex,
    private readonly remoteImages: RemoteImageSource,
    private readonly preprocessor: ImagePreprocessor,
    private readonly modelSettings: ModelSettingsService,
    private readonly queryCache: QueryEmbeddingCache,
    private readonly metrics: QueryApiMetrics,
    private readonly limits: { maxUploadBytes: number },
  ) {}

  async searchText(query: string, request: PageRequest, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    const text = normaliseQueryText(query);
    const settings = await this.modelSettings.current(context);
    const vector = await this.embedText(text, settings.model.modelId, context);
    const page = await this.searchIndex.searchByVector({ vector, ...request, scoreThreshold: settings.textScoreThreshold, withFacets: true }, context);
    return answer(page, settings.model.modelId, started);
  }

  async searchUploadedImage(bytes: Uint8Array, request: PageRequest, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    if (bytes.length > this.limits.maxUploadBytes) {
      throw new ImageInputError('too_large', `image is ${bytes.length} bytes; at most ${this.limits.maxUploadBytes} are accepted`);
    }
    return this.searchImageBytes(bytes, request, context, started);
  }

  async searchImageUrl(url: string, request: PageRequest, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    const bytes = await this.remoteImages.fetchImage(url, context);
    return this.searchImageBytes(bytes, request, context, started);
  }

  async similarProducts(productId: string, request: PageRequest, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    const page = await this.searchIndex.findSimilar({ productId, ...request }, context);
    if (!page) throw new NotFoundError('product_not_found', `no product ${productId} in the index`);
    return answer(page, page.modelId, started);
  }

  private async searchImageBytes(bytes: Uint8Array, request: PageRequest, context: RequestContext, started: number): Promise<SearchAnswer> {
    if (bytes.length === 0) throw new InvalidRequestError('empty_image', 'the image is empty');
    if (!sniffImageFormat(bytes)) throw new ImageInputError('unsupported_format', 'the image is not a JPEG, PNG or WebP file');
    const { model, imageScoreThreshold } = await this.modelSettings.current(context);
    const pixels = await this.preprocessor.toModelPixels(bytes, model.imageSize);
    const vector = await this.embedder.embedQueryPixels(pixels, context);
    const page = await this.searchIndex.searchByVector({ vector, ...request, scoreThreshold: imageScoreThreshold, withFacets: true }, context);
    return answer(page, model.modelId, started);
  }

  /** The query's vector, from the cache when the same model embedded the same normalised text before. */
  private async embedText(text: string, modelId: string, context: RequestContext): Promise<Float32Array> {
    const cached = this.queryCache.get(modelId, text);
    this.metrics.queryEmbeddingCache.inc({ result: cached ? 'hit' : 'miss' });
    if (cached) return cached;
    const vector = await this.embedder.embedQueryText(text, context);
    this.queryCache.set(modelId, text, vector);
    return vector;
  }
}

function answer(page: SearchPage, modelId: string, started: number): SearchAnswer {
  return { page, modelId, tookMs: performance.now() - started };
}
