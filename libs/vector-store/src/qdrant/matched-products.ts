/**
 * The matched set of a Qdrant search, on our side: ranked image points collapsed to one entry
 * per product (its first, best-ranked point), ordered by the request's sort, and counted into
 * facets. Qdrant ranks and fuses; it has no count or facet over a query's results, so the
 * adapter fetches the matched points with a few payload fields and finishes here.
 */
import { PRICE_BANDS, priceBandOf, type SearchSort } from '@vsearch/contracts';
import { SEARCH_LIMITS, type FacetCount, type SearchFacets } from '../types';
import { PAYLOAD } from './qdrant-filter';
import { tagFacetsOfKeys } from './tag-payload';

/** One matched product: its best point in the ranking and the payload fields read with it. */
export interface MatchedProduct {
  productId: string;
  /** The product's best-ranked image point (its hit's matched image). */
  pointId: string | number;
  /** The ranking's score of that point. */
  score: number;
  vectorScore?: number;
  keywordScore?: number;
  categories: string[];
  brand: string;
  price: number;
  inStock: boolean;
  /** ISO 8601; absent for products stored before it was recorded. */
  updatedAt?: string;
  /** The product's zero-shot tags as `attribute=label` keys (read for tag facets; absent when not read or untagged). */
  tagKeys?: string[];
}

export interface RankedPoint {
  id: string | number;
  score: number;
  payload?: Record<string, unknown> | null;
}

/** Collapses ranked image points to products, keeping each product's first point; points without a productId are skipped. */
export function matchedProducts(points: readonly RankedPoint[]): MatchedProduct[] {
  const products = new Map<string, MatchedProduct>();
  for (const point of points) {
    const payload = point.payload ?? {};
    const productId = payload.productId;
    if (typeof productId !== 'string' || products.has(productId)) continue;
    const tagKeys = payload[PAYLOAD.tagKeys];
    products.set(productId, {
      productId,
      pointId: point.id,
      score: point.score,
      categories: Array.isArray(payload.categories) ? payload.categories.map(String) : [],
      brand: typeof payload.brand === 'string' ? payload.brand : '',
      price: typeof payload.price === 'number' ? payload.price : 0,
      inStock: payload.inStock === true,
      ...(typeof payload.updatedAt === 'string' ? { updatedAt: payload.updatedAt } : {}),
      ...(Array.isArray(tagKeys) && tagKeys.length > 0 ? { tagKeys: tagKeys.map(String) } : {}),
    });
  }
  return [...products.values()];
}

/** Best score per product of a ranking (its first point), for a hit's vectorScore or keywordScore. */
export function bestScoreByProduct(points: readonly RankedPoint[]): Map<string, number> {
  const scores = new Map<string, number>();
  for (const point of points) {
    const productId = point.payload?.productId;
    if (typeof productId === 'string' && !scores.has(productId)) scores.set(productId, point.score);
  }
  return scores;
}

/**
 * The matched products in the request's order. Sorting by price or age is stable, so equal
 * prices (or dates) keep their relevance order; products without a date come last for `newest`.
 */
export function sortedMatches(products: readonly MatchedProduct[], sort: SearchSort): MatchedProduct[] {
  const ordered = [...products];
  if (sort === 'price_asc') ordered.sort((a, b) => a.price - b.price);
  if (sort === 'price_desc') ordered.sort((a, b) => b.price - a.price);
  if (sort === 'newest') {
    const time = (product: MatchedProduct) => {
      const parsed = product.updatedAt === undefined ? Number.NaN : Date.parse(product.updatedAt);
      return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
    };
    ordered.sort((a, b) => {
      const [ta, tb] = [time(a), time(b)];
      return ta === tb ? 0 : tb > ta ? 1 : -1;
    });
  }
  return ordered;
}

/**
 * Facets over the matched products: most frequent first (ties by value), price bands in PRICE_BANDS
 * order, empty when nothing matched; tag facets from their tag keys, absent when none is tagged.
 * Counted here rather than with Qdrant's facet API (`POST /collections/{name}/facet`): that counts
 * the points passing a filter, not a ranked query's matches (the threshold, the keyword ranking, fusion).
 */
export function facetsOfMatches(products: readonly MatchedProduct[]): SearchFacets {
  const categories = new Map<string, number>();
  const brands = new Map<string, number>();
  const bands = new Map<string, number>();
  const stock = new Map<string, number>();
  const add = (counts: Map<string, number>, value: string) => counts.set(value, (counts.get(value) ?? 0) + 1);
  for (const product of products) {
    for (const category of new Set(product.categories)) if (category !== '') add(categories, category);
    if (product.brand !== '') add(brands, product.brand);
    add(bands, priceBandOf(product.price));
    add(stock, product.inStock ? 'in_stock' : 'out_of_stock');
  }
  const tags = tagFacetsOfKeys(products.map((product) => product.tagKeys ?? []));
  return {
    categories: byFrequency(categories),
    brands: byFrequency(brands),
    priceBands: PRICE_BANDS.flatMap(({ value }) => (bands.has(value) ? [{ value, count: bands.get(value) as number }] : [])),
    stock: byFrequency(stock),
    ...(tags ? { tags } : {}),
  };
}

function byFrequency(counts: Map<string, number>): FacetCount[] {
  return [...counts.entries()]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, SEARCH_LIMITS.facetValues);
}
