/** The one mapping from the platform's search page to the public JSON of `GET /v1/search` and its siblings. */
import type { SearchHit } from '@vsearch/contracts';
import type { SearchAnswer } from '../../services/product-search.service';
import type { SearchResponse } from './responses.dto';

type SearchResultJson = SearchResponse['results'][number];

export function toSearchResultJson(hit: SearchHit): SearchResultJson {
  const { product } = hit;
  return {
    productId: product.productId,
    score: roundScore(hit.score),
    ...(hit.vectorScore !== undefined ? { vectorScore: roundScore(hit.vectorScore) } : {}),
    ...(hit.keywordScore !== undefined ? { keywordScore: roundScore(hit.keywordScore) } : {}),
    title: product.title,
    imageUrl: hit.matchedImageUrl,
    matchedImageId: hit.matchedImageId,
    ...(hit.matchedImageDescription ? { imageDescription: hit.matchedImageDescription } : {}),
    price: { amount: product.price.amount, currency: product.price.currency },
    categories: product.categories,
    brand: product.brand,
    inStock: product.inStock,
    ...(hit.tags && hit.tags.length > 0
      ? { tags: hit.tags.map(({ attribute, label, confidence }) => ({ attribute, label, confidence: roundConfidence(confidence) })) }
      : {}),
  };
}

/** `modelId` is the model the query was embedded with, used when the page does not name the collection's. */
export function toSearchResponseJson({ page, mode, modelId, tookMs }: SearchAnswer): SearchResponse {
  return {
    results: page.hits.map(toSearchResultJson),
    ...(page.total !== undefined ? { total: page.total, totalIsLowerBound: page.totalIsLowerBound ?? false } : {}),
    mode,
    facets: page.facets ?? { categories: [], brands: [], priceBands: [], stock: [] },
    tookMs: Math.round(tookMs * 10) / 10,
    model: page.modelId || modelId,
  };
}

/** Four decimals: a float32 on the wire reads 0.8500000238 otherwise. */
export function roundConfidence(confidence: number): number {
  return Math.round(confidence * 10_000) / 10_000;
}

/**
 * Six decimals keep responses short and keep apart fused (RRF) scores, which differ in the
 * fourth decimal near the top (1/61 = 0.016393 against 1/62 = 0.016129).
 */
function roundScore(score: number): number {
  return Math.round(score * 1_000_000) / 1_000_000;
}
