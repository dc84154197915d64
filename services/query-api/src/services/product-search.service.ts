/**
 * Shopper searches: by text (hybrid by default: the words ranked lexically and
 * the query's vector, embedded on the interactive lane and cached, fused by
 * reciprocal rank; the vector ranking cut off below the model's text score
 * threshold), by photo (preprocessed on this pod, pixels sent on the embedder's
 * fast path, cut off below the model's image score threshold when it has one)
 * and "more like this" (cut off at the same threshold). Photo search and "more
 * like this" rank by vector only.
 *
 * Model guard: every vector goes to search with the id of the model that made it, and that model is
 * the live generation's (LiveModelService), not merely the embedder's default: during a rollout the
 * embedder serves both. When search refuses a query as MODEL_MISMATCH (the alias moved to another
 * model meanwhile), the live model is looked up again and the query embedded and sent once more.
 */
import {
  DependencyUnavailableError,
  NotFoundError,
  type FusionSettings,
  type SearchFilter,
  type SearchMode,
  type SearchPage,
  type SearchSort,
} from '@vsearch/contracts';
import type { QueryApiMetrics } from '../metrics/query-api.metrics';
import {
  IndexModelMismatchError,
  type ImagePreprocessor,
  type ProductSearchIndex,
  type QueryEmbedder,
  type RemoteImageSource,
  type RequestContext,
} from '../ports';
import { assertUsablePhoto } from './photo-input';
import type { LiveModelService } from './live-model.service';
import type { ModelSettingsService } from './model-settings.service';
import { normaliseQueryText, type QueryEmbeddingCache } from './query-embedding.cache';

/** Which page of which products a search asks for, in which order. */
export interface PageRequest {
  filter: SearchFilter;
  limit: number;
  offset: number;
  sort: SearchSort;
}

/** A text search: the page, and which rankings match the words. */
export interface TextSearchRequest extends PageRequest {
  mode: SearchMode;
}

/** A page of hits, the ranking that scored them, the model of the vectors, and how long the search took. */
export interface SearchAnswer {
  page: SearchPage;
  mode: SearchMode;
  modelId: string;
  tookMs: number;
}

export interface ProductSearchOptions {
  maxUploadBytes: number;
  /** How hybrid search fuses the two rankings (FUSION_* settings). */
  fusion: FusionSettings;
}

/**
 * Characters of the query the embedder is given. The text tower reads its first 77 tokens at
 * most, a few hundred characters; the cut keeps a 10 KB paste under the embedder's byte limit
 * and out of the cache's keys. The words (lexical ranking) get the whole query.
 */
export const EMBEDDED_QUERY_MAX_CHARS = 1_000;

export class ProductSearchService {
  constructor(
    private readonly embedder: QueryEmbedder,
    private readonly searchIndex: ProductSearchIndex,
    private readonly remoteImages: RemoteImageSource,
    private readonly preprocessor: ImagePreprocessor,
    private readonly modelSettings: ModelSettingsService,
    private readonly liveModel: LiveModelService,
    private readonly queryCache: QueryEmbeddingCache,
    private readonly metrics: QueryApiMetrics,
    private readonly options: ProductSearchOptions,
  ) {}

  /** `keyword` mode never calls the embedder: it answers from the words alone, even while the embedder is down. */
  async searchText(query: string, request: TextSearchRequest, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    const { mode, ...page } = request;
    const words = query.trim();
    if (mode === 'keyword') {
      const found = await this.searchIndex.searchProducts({ mode, text: words, ...page, withFacets: true }, context);
      return answer(found, mode, found.modelId, started);
    }
    const text = normaliseQueryText(cutAtCodePoint(words, EMBEDDED_QUERY_MAX_CHARS));
    return this.onLiveModel(context, async (modelId) => {
      const settings = await this.modelSettings.forModel(modelId, context);
      const vector = await this.embedText(text, modelId, context);
      const found = await this.searchIndex.searchProducts(
        {
          mode,
          vector,
          modelId,
          ...(mode === 'hybrid' ? { text: words, fusion: this.options.fusion } : {}),
          ...page,
          scoreThreshold: settings.textScoreThreshold,
          withFacets: true,
        },
        context,
      );
      return answer(found, mode, modelId, started);
    });
  }

  async searchUploadedImage(bytes: Uint8Array, request: PageRequest, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    return this.searchImageBytes(bytes, request, context, started);
  }

  async searchImageUrl(url: string, request: PageRequest, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    const bytes = await this.remoteImages.fetchImage(url, context);
    return this.searchImageBytes(bytes, request, context, started);
  }

  /**
   * By the stored product's vectors, best first (the search service's Similar has no other order),
   * cut off below the model's image score threshold like photo search: both compare product photos.
   * Similar takes no threshold, so the cut is made on the page here; hits come best first, so
   * dropping a page's tail is the same cut the store would make.
   */
  async similarProducts(productId: string, request: Omit<PageRequest, 'sort'>, context: RequestContext): Promise<SearchAnswer> {
    const started = performance.now();
    const page = await this.onLiveModel(context, (modelId) =>
      this.searchIndex.findSimilar({ productId, modelId, filter: request.filter, limit: request.limit, offset: request.offset }, context),
    );
    if (!page) throw new NotFoundError('product_not_found', `no product ${productId} in the index`);
    const threshold = await this.similarityCutOff(page.modelId, context);
    const hits = threshold === undefined ? page.hits : page.hits.filter((hit) => hit.score >= threshold);
    return answer({ ...page, hits }, 'vector', page.modelId, started);
  }

  /**
   * The image threshold of the model whose vectors the collection holds; none while the embedder
   * cannot say (down, or that model not loaded): "more like this" embeds nothing and keeps
   * answering through an embedder outage.
   */
  private async similarityCutOff(collectionModelId: string, context: RequestContext): Promise<number | undefined> {
    try {
      return (await this.modelSettings.forModel(collectionModelId, context)).imageScoreThreshold;
    } catch (error) {
      if (error instanceof DependencyUnavailableError) return undefined;
      throw error;
    }
  }

  private async searchImageBytes(bytes: Uint8Array, request: PageRequest, context: RequestContext, started: number): Promise<SearchAnswer> {
    assertUsablePhoto(bytes, this.options.maxUploadBytes);
    return this.onLiveModel(context, async (modelId) => {
      const { model, imageScoreThreshold } = await this.modelSettings.forModel(modelId, context);
      const pixels = await this.preprocessor.toModelPixels(bytes, model.imageSize, context);
      const vector = await this.embedder.embedQueryPixels(pixels, context, modelId);
      const page = await this.searchIndex.searchProducts(
        { mode: 'vector', vector, modelId, ...request, scoreThreshold: imageScoreThreshold, withFacets: true },
        context,
      );
      return answer(page, 'vector', modelId, started);
    });
  }

  /**
   * Runs `work` with the live generation's model; when search refuses it as another model's (the
   * alias moved meanwhile), once more with the model looked up again. A second refusal means the
   * index is changing under us: 503, try again shortly.
   */
  private async onLiveModel<T>(context: RequestContext, work: (modelId: string) => Promise<T>): Promise<T> {
    try {
      return await work(await this.liveModel.current(context));
    } catch (error) {
      if (!(error instanceof IndexModelMismatchError)) throw error;
      this.metrics.liveModelRefreshes.inc();
      this.liveModel.forget();
    }
    try {
      return await work(await this.liveModel.current(context));
    } catch (error) {
      if (error instanceof IndexModelMismatchError) throw new DependencyUnavailableError('search', error.message);
      throw error;
    }
  }

  /** The query's vector, from the cache when the same model embedded the same normalised text before. */
  private async embedText(text: string, modelId: string, context: RequestContext): Promise<Float32Array> {
    const cached = this.queryCache.get(modelId, text);
    this.metrics.queryEmbeddingCache.inc({ result: cached ? 'hit' : 'miss' });
    if (cached) return cached;
    const vector = await this.embedder.embedQueryText(text, context, modelId);
    this.queryCache.set(modelId, text, vector);
    return vector;
  }
}

function answer(page: SearchPage, mode: SearchMode, modelId: string, started: number): SearchAnswer {
  return { page, mode, modelId, tookMs: performance.now() - started };
}

/** The first `maxChars` UTF-16 units of `text`, never splitting a surrogate pair. */
function cutAtCodePoint(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const end = /[\uD800-\uDBFF]/.test(text[maxChars - 1]) ? maxChars - 1 : maxChars;
  return text.slice(0, end);
}
