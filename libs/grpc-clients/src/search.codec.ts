/**
 * The one mapping between visualsearch.search.v1 messages and the platform's
 * vocabulary (`@vsearch/contracts`), used by the search service's gRPC handler
 * and by SearchClient alike, so both sides of the boundary agree field by field.
 * Vectors travel as little-endian float32 bytes. A message that cannot be read
 * (a missing product, a vector whose byte length is not a multiple of 4) throws
 * MalformedMessageError; the server answers it with INVALID_ARGUMENT.
 */
import type {
  CollectionInfo,
  FacetCount,
  FailedImage,
  ImageVector,
  ProductData,
  ProductWithImageVectors,
  SearchFacets,
  SearchFilter,
  SearchHit,
  SearchMode,
  SearchPage,
  SearchQuery,
  SearchSort,
  StoredProduct,
  WriteOutcome,
} from '@vsearch/contracts';
import { DEFAULT_FUSION } from '@vsearch/contracts';
import { packFloat32LE, unpackFloat32LE } from '@vsearch/grpc-kit';
import { searchV1 } from '@vsearch/proto';

/** A message this side cannot read; the text names the field. */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

const OUTCOMES_TO_PROTO: Record<WriteOutcome, searchV1.WriteOutcome> = {
  applied: searchV1.WriteOutcome.WRITE_OUTCOME_APPLIED,
  stale: searchV1.WriteOutcome.WRITE_OUTCOME_STALE,
  not_found: searchV1.WriteOutcome.WRITE_OUTCOME_NOT_FOUND,
};
const OUTCOMES_FROM_PROTO = new Map<number, WriteOutcome>(Object.entries(OUTCOMES_TO_PROTO).map(([outcome, value]) => [value, outcome as WriteOutcome]));

export function productToProto(product: ProductData): searchV1.Product {
  return {
    productId: product.productId,
    version: product.version,
    title: product.title,
    description: product.description,
    brand: product.brand,
    categories: [...product.categories],
    price: { amount: product.price.amount, currency: product.price.currency },
    inStock: product.inStock,
    attributes: { ...product.attributes },
    updatedAt: product.updatedAt ?? '',
  };
}

export function productFromProto(message: searchV1.Product): ProductData {
  return {
    productId: message.productId,
    version: Number(message.version),
    title: message.title,
    description: message.description,
    brand: message.brand,
    categories: [...message.categories],
    price: { amount: message.price?.amount ?? 0, currency: message.price?.currency ?? '' },
    inStock: message.inStock,
    attributes: { ...message.attributes },
    ...(message.updatedAt ? { updatedAt: message.updatedAt } : {}),
  };
}

export function vectorFromProto(bytes: Uint8Array | undefined, what: string): Float32Array {
  if (!bytes || bytes.length === 0) throw new MalformedMessageError(`${what} is empty`);
  if (bytes.length % 4 !== 0) throw new MalformedMessageError(`${what} has ${bytes.length} bytes; little-endian float32 values take 4 bytes each`);
  return unpackFloat32LE(bytes);
}

/** searchV1.FailedImage and the contract's FailedImage have the same fields: one copy serves both directions. */
export function copyFailedImage({ imageId, imageUrl, stage, errorCode, reason }: FailedImage): FailedImage {
  return { imageId, imageUrl, stage, errorCode, reason };
}

export function productWritesToProto(products: readonly ProductWithImageVectors[]): searchV1.ProductWithImages[] {
  return products.map(({ product, images, failedImages }) => ({
    product: productToProto(product),
    images: images.map((image) => ({ imageId: image.imageId, imageUrl: image.imageUrl, vector: packFloat32LE(image.vector) })),
    failedImages: failedImages?.length ? { images: failedImages.map(copyFailedImage) } : undefined,
  }));
}

export function productWritesFromProto(messages: readonly searchV1.ProductWithImages[]): ProductWithImageVectors[] {
  return messages.map((entry, position) => ({
    product: requiredProductFromProto(entry.product, position),
    images: entry.images.map((image): ImageVector => ({
      imageId: image.imageId,
      imageUrl: image.imageUrl,
      vector: vectorFromProto(image.vector, `vector of image ${image.imageId} of product ${entry.product?.productId}`),
    })),
    failedImages: (entry.failedImages?.images ?? []).map(copyFailedImage),
  }));
}

/** A product in a write request, where it must be present. */
export function requiredProductFromProto(message: searchV1.Product | undefined, position: number): ProductData {
  if (!message) throw new MalformedMessageError(`product ${position} is missing its product data`);
  return productFromProto(message);
}

export function filterToProto(filter: SearchFilter | undefined): searchV1.Filter | undefined {
  if (!filter) return undefined;
  return {
    categories: [...(filter.categories ?? [])],
    brands: [...(filter.brands ?? [])],
    minPrice: filter.minPrice,
    maxPrice: filter.maxPrice,
    inStock: filter.inStock,
  };
}

/**
 * Unknown filter fields: protobuf drops fields a message does not declare, so a
 * filter field this side does not know never reaches it.
 */
export function filterFromProto(message: searchV1.Filter | undefined): SearchFilter | undefined {
  if (!message) return undefined;
  return {
    categories: message.categories.length > 0 ? [...message.categories] : undefined,
    brands: message.brands.length > 0 ? [...message.brands] : undefined,
    minPrice: message.minPrice,
    maxPrice: message.maxPrice,
    inStock: message.inStock,
  };
}

export function writeOutcomeToProto(outcome: WriteOutcome): searchV1.WriteOutcome {
  return OUTCOMES_TO_PROTO[outcome];
}

export function writeOutcomeFromProto(outcome: searchV1.WriteOutcome): WriteOutcome {
  const mapped = OUTCOMES_FROM_PROTO.get(outcome);
  if (!mapped) throw new MalformedMessageError(`unexpected write outcome ${outcome}`);
  return mapped;
}

export function hitToProto(hit: SearchHit): searchV1.Hit {
  return {
    product: productToProto(hit.product),
    score: hit.score,
    matchedImageId: hit.matchedImageId,
    matchedImageUrl: hit.matchedImageUrl,
    vectorScore: hit.vectorScore,
    keywordScore: hit.keywordScore,
  };
}

export function hitFromProto(hit: searchV1.Hit): SearchHit {
  return {
    product: productFromProto(hit.product ?? searchV1.Product.decode(new Uint8Array(0))),
    score: hit.score,
    ...(hit.vectorScore === undefined ? {} : { vectorScore: hit.vectorScore }),
    ...(hit.keywordScore === undefined ? {} : { keywordScore: hit.keywordScore }),
    matchedImageId: hit.matchedImageId,
    matchedImageUrl: hit.matchedImageUrl,
  };
}

function copyFacet({ value, count }: FacetCount): FacetCount {
  return { value, count };
}

/** Facets have the same fields on both sides: one copy serves both directions. */
function copyFacets(facets: SearchFacets): SearchFacets {
  return {
    categories: facets.categories.map(copyFacet),
    brands: facets.brands.map(copyFacet),
    priceBands: facets.priceBands.map(copyFacet),
    stock: facets.stock.map(copyFacet),
  };
}

export function facetsToProto(facets: SearchFacets | undefined): searchV1.Facets | undefined {
  return facets && copyFacets(facets);
}

export function facetsFromProto(facets: searchV1.Facets | undefined): SearchFacets | undefined {
  return facets && copyFacets(facets);
}

const MODES_TO_PROTO: Record<SearchMode, searchV1.SearchMode> = {
  hybrid: searchV1.SearchMode.SEARCH_MODE_HYBRID,
  vector: searchV1.SearchMode.SEARCH_MODE_VECTOR,
  keyword: searchV1.SearchMode.SEARCH_MODE_KEYWORD,
};
const SORTS_TO_PROTO: Record<SearchSort, searchV1.SortOrder> = {
  relevance: searchV1.SortOrder.SORT_ORDER_RELEVANCE,
  price_asc: searchV1.SortOrder.SORT_ORDER_PRICE_ASC,
  price_desc: searchV1.SortOrder.SORT_ORDER_PRICE_DESC,
  newest: searchV1.SortOrder.SORT_ORDER_NEWEST,
};
const MODES_FROM_PROTO = new Map<number, SearchMode>(Object.entries(MODES_TO_PROTO).map(([mode, value]) => [value, mode as SearchMode]));
const SORTS_FROM_PROTO = new Map<number, SearchSort>(Object.entries(SORTS_TO_PROTO).map(([sort, value]) => [value, sort as SearchSort]));

export function searchRequestToProto(query: SearchQuery): searchV1.SearchRequest {
  return {
    collection: query.collection ?? '',
    vector: query.vector ? packFloat32LE(query.vector) : Buffer.alloc(0),
    queryText: query.text ?? '',
    mode: query.mode ? MODES_TO_PROTO[query.mode] : searchV1.SearchMode.SEARCH_MODE_UNSPECIFIED,
    sort: query.sort ? SORTS_TO_PROTO[query.sort] : searchV1.SortOrder.SORT_ORDER_UNSPECIFIED,
    fusion: query.fusion && { k: query.fusion.k, vectorWeight: query.fusion.vectorWeight, keywordWeight: query.fusion.keywordWeight },
    filter: filterToProto(query.filter),
    limit: query.limit,
    offset: query.offset ?? 0,
    scoreThreshold: query.scoreThreshold,
    withFacets: query.withFacets ?? false,
  };
}

/** Unknown enum values (a newer client) are refused naming the value, never guessed. */
export function searchRequestFromProto(request: searchV1.SearchRequest): SearchQuery {
  const mode = request.mode === searchV1.SearchMode.SEARCH_MODE_UNSPECIFIED ? undefined : MODES_FROM_PROTO.get(request.mode);
  if (request.mode !== searchV1.SearchMode.SEARCH_MODE_UNSPECIFIED && !mode) throw new MalformedMessageError(`unknown search mode ${request.mode}`);
  const sort = request.sort === searchV1.SortOrder.SORT_ORDER_UNSPECIFIED ? undefined : SORTS_FROM_PROTO.get(request.sort);
  if (request.sort !== searchV1.SortOrder.SORT_ORDER_UNSPECIFIED && !sort) throw new MalformedMessageError(`unknown sort order ${request.sort}`);
  return {
    collection: request.collection,
    vector: request.vector.length > 0 ? vectorFromProto(request.vector, 'query vector') : undefined,
    text: request.queryText || undefined,
    mode,
    sort,
    fusion: request.fusion && {
      k: request.fusion.k || DEFAULT_FUSION.k,
      vectorWeight: request.fusion.vectorWeight ?? DEFAULT_FUSION.vectorWeight,
      keywordWeight: request.fusion.keywordWeight ?? DEFAULT_FUSION.keywordWeight,
    },
    filter: filterFromProto(request.filter),
    limit: request.limit,
    offset: request.offset,
    scoreThreshold: request.scoreThreshold,
    withFacets: request.withFacets,
  };
}

/** A page of results as Search and Similar answer it. */
export function pageToProto(page: SearchPage): searchV1.SearchResponse {
  return {
    hits: page.hits.map(hitToProto),
    facets: facetsToProto(page.facets),
    collection: page.collection,
    modelId: page.modelId,
    total: page.total ?? 0,
    totalIsLowerBound: page.totalIsLowerBound ?? false,
  };
}

export function pageFromProto(response: searchV1.SearchResponse | searchV1.SimilarResponse): SearchPage {
  const counted = 'total' in response ? { total: response.total, totalIsLowerBound: response.totalIsLowerBound } : {};
  return {
    hits: response.hits.map(hitFromProto),
    facets: 'facets' in response ? facetsFromProto(response.facets) : undefined,
    ...counted,
    collection: response.collection,
    modelId: response.modelId,
  };
}

export function storedProductToProto(stored: StoredProduct | undefined): searchV1.GetProductResponse {
  if (!stored) return { product: undefined, images: [], failedImages: [] };
  return {
    product: productToProto(stored.product),
    images: stored.images.map(({ imageId, imageUrl }) => ({ imageId, imageUrl })),
    failedImages: stored.failedImages.map(copyFailedImage),
  };
}

export function storedProductFromProto(response: searchV1.GetProductResponse): StoredProduct | undefined {
  if (!response.product) return undefined;
  return {
    product: productFromProto(response.product),
    images: response.images.map(({ imageId, imageUrl }) => ({ imageId, imageUrl })),
    failedImages: response.failedImages.map(copyFailedImage),
  };
}

export function collectionToProto(info: CollectionInfo): searchV1.CollectionInfo {
  return {
    name: info.name,
    modelId: info.modelId,
    dimension: info.dimension,
    productCount: info.productCount,
    pointCount: info.pointCount,
    aliases: [...info.aliases],
    damage: info.damage ?? '',
  };
}

export function collectionFromProto(info: searchV1.CollectionInfo): CollectionInfo {
  return {
    name: info.name,
    modelId: info.modelId,
    dimension: info.dimension,
    productCount: Number(info.productCount),
    pointCount: Number(info.pointCount),
    aliases: [...info.aliases],
    ...(info.damage ? { damage: info.damage } : {}),
  };
}
