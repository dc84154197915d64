/**
 * Shopper searches: by text (embedded on the interactive lane, cached, cut
 * off below the model's text score threshold), by photo (preprocessed on this
 * pod, pixels sent on the embedder's fast path, cut off below the model's image
 * score threshold when it has one) and "more like this".
 */
import { Inject, Injectable } from '@nestjs/common';
import { InvalidRequestError, NotFoundError, type SearchPage } from '@vsearch/contracts';
import type { QueryApiConfig } from '../config';
import type { FiltersQuery } from '../dtos/filters.dto';
import { toProductFilter } from '../dtos/filters.dto';
import type { SearchResponse } from '../dtos/responses.dto';
import { toSearchResponseJson } from '../dtos/search-response.mapper';
import type { TextSearchQuery } from '../dtos/search-query.dto';
import { QueryApiMetrics } from '../http/metrics';
import {
  ImageInputError,
  ImagePreprocessor,
  ProductIndex,
  QueryEmbedder,
  RemoteImageSource,
  type RequestContext,
} from '../ports';
import { QUERY_API_CONFIG } from '../tokens';
import { sniffImageFormat } from './image-format';
import { ModelSettingsService } from './model-settings.service';
import { normaliseQueryText, QueryEmbeddingCache } from './query-embedding.cache';

@Injectable()
export class ProductSearchService {
  private readonly cache: QueryEmbeddingCache;

  constructor(
    @Inject(QUERY_API_CONFIG) private readonly config: QueryApiConfig,
    private readonly embedder: QueryEmbedder,
    private readonly productIndex: ProductIndex,
    private readonly remoteImages: RemoteImageSource,
    private readonly preprocessor: ImagePreprocessor,
    private readonly modelSettings: ModelSettingsService,
    private readonly metrics: QueryApiMetrics,
  ) {
    this.cache = new QueryEmbeddingCache(config.search.queryCacheSize);
  }

  async searchText(query: TextSearchQuery, context: RequestContext): Promise<SearchResponse> {
    const started = performance.now();
    const text = normaliseQueryText(query.q);
    const settings = await this.modelSettings.current(context);
    const vector = await this.embedText(text, settings.model.modelId, context);
    const page = await this.productIndex.searchByVector(
      {
        vector,
        filter: toProductFilter(query),
        limit: query.limit,
        offset: query.offset,
        scoreThreshold: settings.textScoreThreshold,
        withFacets: true,
      },
      context,
    );
    return toResponse(page, settings.model.modelId, started);
  }

  async searchUploadedImage(bytes: Uint8Array, query: FiltersQuery, context: RequestContext): Promise<SearchResponse> {
    const started = performance.now();
    if (bytes.length > this.config.images.maxUploadBytes) {
      throw new ImageInputError('too_large', `image is ${bytes.length} bytes; at most ${this.config.images.maxUploadBytes} are accepted`);
    }
    return this.searchImageBytes(bytes, query, context, started);
  }

  async searchImageUrl(url: string, query: FiltersQuery, context: RequestContext): Promise<SearchResponse> {
    const started = performance.now();
    const bytes = await this.remoteImages.fetchImage(url, context);
    return this.searchImageBytes(bytes, query, context, started);
  }

  async similarProducts(productId: string, query: FiltersQuery, context: RequestContext): Promise<SearchResponse> {
    const started = performance.now();
    const page = await this.productIndex.findSimilar(
      { productId, filter: toProductFilter(query), limit: query.limit, offset: query.offset },
      context,
    );
    if (!page) throw new NotFoundError('product_not_found', `no product ${productId} in the index`);
    return toResponse(page, page.modelId, started);
  }

  private async searchImageBytes(bytes: Uint8Array, query: FiltersQuery, context: RequestContext, started: number): Promise<SearchResponse> {
    if (bytes.length === 0) throw new InvalidRequestError('empty_image', 'the image is empty');
    if (!sniffImageFormat(bytes)) throw new ImageInputError('unsupported_format', 'the image is not a JPEG, PNG or WebP file');
    const { model, imageScoreThreshold } = await this.modelSettings.current(context);
    const pixels = await this.preprocessor.toModelPixels(bytes, model.imageSize);
    const vector = await this.embedder.embedQueryPixels(pixels, context);
    const page = await this.productIndex.searchByVector(
      { vector, filter: toProductFilter(query), limit: query.limit, offset: query.offset, scoreThreshold: imageScoreThreshold, withFacets: true },
      context,
    );
    return toResponse(page, model.modelId, started);
  }

  /** The query's vector, from the cache when the same model embedded the same normalised text before. */
  private async embedText(text: string, modelId: string, context: RequestContext): Promise<Float32Array> {
    const cached = this.cache.get(modelId, text);
    this.metrics.queryEmbeddingCache.inc({ result: cached ? 'hit' : 'miss' });
    if (cached) return cached;
    const vector = await this.embedder.embedQueryText(text, context);
    this.cache.set(modelId, text, vector);
    return vector;
  }
}

function toResponse(page: SearchPage, modelId: string, started: number): SearchResponse {
  return toSearchResponseJson(page, modelId, performance.now() - started);
}
