/** The one mapping from the platform's search page to the public JSON of `GET /v1/search` and its siblings. */
import type { SearchHit } from '@vsearch/contracts';
import type { SearchAnswer } from '../../services/product-search.service';
import type { SearchResponse } from './responses.dto';

type SearchResultJson = SearchResponse['results'][number];

export function toSearchResultJson(hit: SearchHit): SearchResultJson {
  const { product } = hit;
  return {
    productId: product.productId,
    // Four decimals are all a cosine can usefully show, and keep responses short.
    score: Math.round(hit.score * 10_000) / 10_000,
    title: product.title,
    imageUrl: hit.matchedImageUrl,
    matchedImageId: hit.matchedImageId,
    price: { amount: product.price.amount, currency: product.price.currency },
    categories: product.categories,
    brand: product.brand,
    inStock: product.inStock,
  };
}

/** `modelId` is the model the query was embedded with, used when the page does not name the collection's. */
export function toSearchResponseJson({ page, modelId, tookMs }: SearchAnswer): SearchResponse {
  return {
    results: page.hits.map(toSearchResultJson),
    facets: page.facets ?? { categories: [], brands: [] },
    tookMs: Math.round(tookMs * 10) / 10,
    model: page.modelId || modelId,
  };
}
