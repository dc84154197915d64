/**
 * The product vocabulary every service, client and store speaks: a product's
 * catalog data, its images (indexed, with vectors, or failed), filters, search
 * hits and pages, write outcomes, collections and the model's description.
 * Declared once here; transports (proto, HTTP JSON) map to and from these
 * types at their edges, and nothing else redeclares them.
 *
 * The catalog event (`ProductUpserted`, catalog-events.ts) is the wire shape
 * on Kafka; `productDataFromEvent` is the one conversion into `ProductData`.
 */
import type { Price, ProductUpserted } from './catalog-events';
import type { ProductTag, TagFacets, TagFilter } from './tagging';

/** Catalog data stored beside a product's vectors; every field present (empty when the catalog omits it). */
export interface ProductData {
  productId: string;
  /** Orders the catalog's writes; an older version never overwrites a newer one. */
  version: number;
  title: string;
  description: string;
  brand: string;
  categories: string[];
  price: Price;
  inStock: boolean;
  attributes: Record<string, string>;
  /** When the catalog last changed the product (its event's `occurredAt`, ISO 8601); absent for data stored before it was recorded. Orders `sort=newest`. */
  updatedAt?: string;
}

/** One of a product's images as the index knows it (the event's `{id, url}`), with the bytes it was embedded from when known. */
export interface ImageRef {
  imageId: string;
  imageUrl: string;
  /** What the bytes behind `imageUrl` were when they were embedded; absent for images stored before it was recorded. */
  content?: ImageContent;
  /**
   * The image's generated description (alt text), written by the describer at ingestion; absent
   * when none was generated (no describer configured, or data stored before descriptions existed).
   */
  description?: string;
}

/**
 * The bytes an image was embedded from, as ingestion identifies them: a photo replaced behind the
 * same URL is found by asking the host with these validators (a 304 means unchanged) or, when the
 * host gives none, by the hash of the bytes fetched again.
 */
export interface ImageContent {
  /** sha256 of the bytes, lowercase hex. */
  sha256: string;
  /** The host's `ETag` for those bytes, sent back as `If-None-Match`; absent when the host gave none. */
  etag?: string;
  /** The host's `Last-Modified` for those bytes, sent back as `If-Modified-Since`; absent when the host gave none. */
  lastModified?: string;
}

/** An image with its embedding: any length-`dimension` vector; the store normalises it (cosine). */
export interface ImageVector extends ImageRef {
  vector: Float32Array;
}

/** Where an image failed on its way into the index. */
export type ImageFailureStage = 'fetch' | 'decode' | 'embed';

/**
 * An image of the product that could not be indexed (it could not be fetched,
 * decoded or embedded). It is stored with the product, so GetProduct shows what
 * is missing and why, and ingestion knows to fetch it again on the product's next event.
 */
export interface FailedImage extends ImageRef {
  /** Where it failed: `fetch`, `decode` or `embed` (a string on the wire, so older or newer stages read back as they are). */
  stage: string;
  /** Machine-readable failure, for instance `http_status` or `refused_address`. */
  errorCode: string;
  /** Human-readable failure, for instance `answered 404`. */
  reason: string;
}

/** One product write: catalog data, the image vectors that replace the stored set, and the images that failed. */
export interface ProductWithImageVectors {
  product: ProductData;
  /** At least one image. The stored image set is replaced by this one. */
  images: ImageVector[];
  /** Images that could not be indexed (ids distinct from `images`'); they replace the recorded ones. Unset means none. */
  failedImages?: FailedImage[];
  /**
   * Zero-shot tags the search service computed from these images with the active tagging (never
   * sent by ingestion); they replace the stored ones. Unset means none.
   */
  tags?: ProductTag[];
  /** The taxonomy version `tags` come from; set with them. */
  tagsVersion?: number;
}

/** A stored product as read back: its data, its indexed images and the images its last write recorded as failed. */
export interface StoredProduct {
  product: ProductData;
  images: ImageRef[];
  /** Empty when every image was indexed (and for data written before failures were recorded). */
  failedImages: FailedImage[];
  /** Zero-shot tags (libs/zero-shot) of the active taxonomy; absent or empty when none was applied. */
  tags?: ProductTag[];
}

/** What a versioned write did: applied, refused because a newer version is stored, or nothing to update. */
export type WriteOutcome = 'applied' | 'stale' | 'not_found';

/** Narrows a search; unset or empty fields do not filter. */
export interface SearchFilter {
  /** The product has at least one of these categories. */
  categories?: string[];
  /** The product's brand is one of these. */
  brands?: string[];
  /** price.amount >= minPrice. */
  minPrice?: number;
  /** price.amount <= maxPrice. */
  maxPrice?: number;
  inStock?: boolean;
  /** Zero-shot tags: labels of one attribute OR'ed, attributes AND'ed. */
  tags?: TagFilter;
}

/**
 * How a text query is matched: `vector` ranks by CLIP similarity alone, `keyword`
 * by the lexical (BM25) ranking of the product's words alone, `hybrid` fuses both
 * rankings by reciprocal rank. Photo search and "more like this" are always `vector`.
 */
export type SearchMode = 'hybrid' | 'vector' | 'keyword';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'vector', 'keyword'];

/** Result order: by the mode's relevance, by price, or most recently changed first. */
export type SearchSort = 'relevance' | 'price_asc' | 'price_desc' | 'newest';
export const SEARCH_SORTS: readonly SearchSort[] = ['relevance', 'price_asc', 'price_desc', 'newest'];

/**
 * Reciprocal-rank fusion of the vector and keyword rankings: a product's fused score is
 * the sum over rankings of `weight / (k + rank)` (rank from 1). `k` damps the head of
 * each list (60 in the RRF paper and in Qdrant's default).
 */
export interface FusionSettings {
  k: number;
  vectorWeight: number;
  keywordWeight: number;
}
export const DEFAULT_FUSION: Readonly<FusionSettings> = Object.freeze({ k: 60, vectorWeight: 1, keywordWeight: 1 });

/**
 * Matched products are counted exactly up to this many; past it `total` is this number
 * and `totalIsLowerBound` is true (as search engines report "10,000+").
 */
export const MATCH_COUNT_CAP = 10_000;

/** One product in a result list. */
export interface SearchHit {
  product: ProductData;
  /**
   * The ranking score of the request's mode: cosine similarity of the best-matching image
   * (-1 to 1) for vector search, BM25 for keyword search, the fused RRF score for hybrid.
   */
  score: number;
  /** Cosine similarity of the best-matching image, when the vector ranking saw the product. */
  vectorScore?: number;
  /** BM25 score of the product's words, when the keyword ranking matched it. */
  keywordScore?: number;
  matchedImageId: string;
  matchedImageUrl: string;
  /** The matched image's generated description (the page's alt text); absent when it has none. */
  matchedImageDescription?: string;
  /** The product's zero-shot tags (chips on result cards); absent when it has none. */
  tags?: ProductTag[];
}

export interface FacetCount {
  value: string;
  count: number;
}

/** Price bands counted by the `priceBands` facet: `min` inclusive, `max` exclusive (none for the last). */
export const PRICE_BANDS: ReadonlyArray<{ value: string; min: number; max?: number }> = Object.freeze([
  { value: '0-25', min: 0, max: 25 },
  { value: '25-50', min: 25, max: 50 },
  { value: '50-100', min: 50, max: 100 },
  { value: '100-200', min: 100, max: 200 },
  { value: '200+', min: 200 },
]);

/** The price band a price falls in. */
export function priceBandOf(amount: number): string {
  return PRICE_BANDS[priceBandIndexOf(amount)].value;
}

/** The position in PRICE_BANDS of the band a price falls in (the first band for a price below every band). */
export function priceBandIndexOf(amount: number): number {
  // A plain loop over the bands' bounds: facet counting calls this for up to 10,000 products per query.
  for (let band = PRICE_BAND_MINIMA.length - 1; band > 0; band--) if (amount >= PRICE_BAND_MINIMA[band]) return band;
  return 0;
}

/** Each band's lower bound, in PRICE_BANDS order (each band ends where the next begins). */
const PRICE_BAND_MINIMA = Float64Array.from(PRICE_BANDS, (band) => band.min);

/** Values of the `stock` facet. */
export type StockFacetValue = 'in_stock' | 'out_of_stock';

/**
 * Counts over the products the query matched (the same set `total` counts: the
 * fused candidates with the cut-off applied, filters applied), most frequent
 * first; price bands in PRICE_BANDS order. A query that matches nothing has empty facets.
 */
export interface SearchFacets {
  categories: FacetCount[];
  brands: FacetCount[];
  priceBands: FacetCount[];
  stock: FacetCount[];
  /** Zero-shot tag labels per attribute over what matched, most frequent first; absent or empty when no product is tagged. */
  tags?: TagFacets;
}

/** A search as the search service and its stores take it: by vector, by words, or both (see SearchMode). */
export interface SearchQuery {
  /** Collection or alias; unset or empty means the alias `products` (PRODUCTS_ALIAS). */
  collection?: string;
  /** The query's embedding; required unless `mode` is `keyword`. */
  vector?: Float32Array;
  /** The shopper's words, for the keyword ranking; required unless `mode` is `vector`. */
  text?: string;
  /** Unset: `hybrid` when both `vector` and `text` are given, else the one ranking they allow. */
  mode?: SearchMode;
  /** Unset: `relevance`. */
  sort?: SearchSort;
  /** Unset: DEFAULT_FUSION. */
  fusion?: FusionSettings;
  filter?: SearchFilter;
  limit: number;
  offset?: number;
  /**
   * The vector ranking leaves out products whose best cosine is lower. A product the
   * keyword ranking matched is never cut by it (its words matched the query).
   */
  scoreThreshold?: number;
  /** Facets over the matched products (see SearchFacets). */
  withFacets?: boolean;
  /**
   * The model the query vector came from (name@version+dtype). Search refuses a query whose model
   * is not the collection's (DESIGN.md principle 5), even when the dimensions match.
   */
  modelId?: string;
}

/** One page of results. */
export interface SearchPage {
  hits: SearchHit[];
  /** Present when asked for. */
  facets?: SearchFacets;
  /** Number of products the query matched, exact up to MATCH_COUNT_CAP; absent where the store does not count ("more like this"). */
  total?: number;
  /** True when more than MATCH_COUNT_CAP products matched and `total` is the cap. */
  totalIsLowerBound?: boolean;
  /** The collection that answered (the alias resolved). */
  collection: string;
  /** The model whose vectors the collection holds (name@version). */
  modelId: string;
}

/** An index generation (collection) with its counts and the aliases pointing at it. */
export interface CollectionInfo {
  name: string;
  modelId: string;
  dimension: number;
  productCount: number;
  pointCount: number;
  aliases: string[];
  /**
   * Set when the store found this collection damaged (a checksum mismatch, a short read): what is
   * damaged, in words an operator can act on. A damaged collection is not served as if complete;
   * ingestion rebuilds it from the catalog topic. Absent when the collection is intact.
   */
  damage?: string;
}

/**
 * The model the embedder serves, as every other service needs to know it:
 * how to preprocess pixels for it, and the settings that turn its scores into
 * results (so no service reads model files of its own).
 */
export interface ModelInfo {
  /** name@version, recorded by every collection filled with it. */
  modelId: string;
  dimension: number;
  /** Square input side in pixels. */
  imageSize: number;
  /** Per RGB channel, applied after scaling pixels to [0, 1]. */
  mean: number[];
  std: number[];
  /** Resize rule, for instance `shortest-side-bicubic`. */
  resize: string;
  /** Crop rule, for instance `center`. */
  crop: string;
  /** Text tokens the text tower reads. */
  contextLength: number;
  /** onnxruntime provider in use (`cuda` or `cpu`). */
  executionProvider: string;
  /** Text→image cosine below which a text-search hit is noise for this model; 0 when the model sets none. */
  textScoreThreshold: number;
  /** Image→image cosine below which a photo-search hit is noise; undefined: no cut-off. */
  imageScoreThreshold?: number;
  /** The model's learned logit scale (CLIP's temperature), for turning cosines into label probabilities. */
  logitScale: number;
  /**
   * Every model the embedder serves, its default first (during a model rollout the next model is
   * loaded beside the serving one); unset means this one alone.
   */
  loadedModelIds?: string[];
}

/** The one conversion from a catalog event into the data stored with a product's vectors. */
export function productDataFromEvent(event: ProductUpserted): ProductData {
  return {
    productId: event.productId,
    version: event.version,
    title: event.title,
    description: event.description ?? '',
    brand: event.brand ?? '',
    categories: [...event.categories],
    price: { amount: event.price.amount, currency: event.price.currency },
    inStock: event.inStock,
    attributes: { ...(event.attributes ?? {}) },
    updatedAt: event.occurredAt,
  };
}

/** The event's images in the index's terms. */
export function imageRefsFromEvent(event: ProductUpserted): ImageRef[] {
  return event.images.map((image) => ({ imageId: image.id, imageUrl: image.url }));
}
