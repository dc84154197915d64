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
}

/** One of a product's images as the index knows it (the event's `{id, url}`). */
export interface ImageRef {
  imageId: string;
  imageUrl: string;
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
}

/** A stored product as read back: its data, its indexed images and the images its last write recorded as failed. */
export interface StoredProduct {
  product: ProductData;
  images: ImageRef[];
  /** Empty when every image was indexed (and for data written before failures were recorded). */
  failedImages: FailedImage[];
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
}

/** One product in a result list: its best-matching image gives the score. */
export interface SearchHit {
  product: ProductData;
  /** Cosine similarity of the best-matching image, -1 to 1. */
  score: number;
  matchedImageId: string;
  matchedImageUrl: string;
}

export interface FacetCount {
  value: string;
  count: number;
}

/** Number of matching products per category and per brand, most frequent first. */
export interface SearchFacets {
  categories: FacetCount[];
  brands: FacetCount[];
}

/** One page of results. */
export interface SearchPage {
  hits: SearchHit[];
  /** Present when asked for. */
  facets?: SearchFacets;
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
  };
}

/** The event's images in the index's terms. */
export function imageRefsFromEvent(event: ProductUpserted): ImageRef[] {
  return event.images.map((image) => ({ imageId: image.id, imageUrl: image.url }));
}
