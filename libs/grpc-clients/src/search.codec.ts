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
  ImageContent,
  ImageRef,
  ImageVector,
  LabelPreview,
  LabelProbability,
  LabelVector,
  ProductData,
  ProductTag,
  ProductTagPage,
  ProductWithImageVectors,
  SearchFacets,
  SearchFilter,
  SearchHit,
  SearchMode,
  SearchPage,
  SearchQuery,
  SearchSort,
  StoredProduct,
  TagFacets,
  TagFilter,
  TaggingInput,
  TaggingState,
  TaggingStatus,
  Taxonomy,
  WriteOutcome,
} from '@vsearch/contracts';
import { DEFAULT_FUSION, validateTaxonomy } from '@vsearch/contracts';
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

/** The bytes an image was embedded from, to the wire (unset stays unset; absent validators travel as empty strings). */
export function imageContentToProto(content: ImageContent | undefined): searchV1.ImageContent | undefined {
  return content ? { sha256: content.sha256, etag: content.etag ?? '', lastModified: content.lastModified ?? '' } : undefined;
}

/** The bytes an image was embedded from, from the wire: an unset message or an empty hash is "not known". */
export function imageContentFromProto(message: searchV1.ImageContent | undefined): ImageContent | undefined {
  if (!message?.sha256) return undefined;
  return { sha256: message.sha256, ...(message.etag ? { etag: message.etag } : {}), ...(message.lastModified ? { lastModified: message.lastModified } : {}) };
}

/** An image reference in either direction: its content only when known, so records stored without one compare equal. */
function imageRefWithContent(imageId: string, imageUrl: string, content: ImageContent | undefined): ImageRef {
  return content ? { imageId, imageUrl, content } : { imageId, imageUrl };
}

/** An image's description on the wire is a string, empty when there is none; in the contract it is absent then. */
function descriptionFromProto(description: string): { description?: string } {
  return description ? { description } : {};
}

export function productWritesToProto(products: readonly ProductWithImageVectors[]): searchV1.ProductWithImages[] {
  return products.map(({ product, images, failedImages }) => ({
    product: productToProto(product),
    images: images.map((image) => ({
      imageId: image.imageId,
      imageUrl: image.imageUrl,
      vector: packFloat32LE(image.vector),
      content: imageContentToProto(image.content),
      description: image.description ?? '',
    })),
    failedImages: failedImages?.length ? { images: failedImages.map(copyFailedImage) } : undefined,
  }));
}

export function productWritesFromProto(messages: readonly searchV1.ProductWithImages[]): ProductWithImageVectors[] {
  return messages.map((entry, position) => ({
    product: requiredProductFromProto(entry.product, position),
    images: entry.images.map((image): ImageVector => ({
      ...imageRefWithContent(image.imageId, image.imageUrl, imageContentFromProto(image.content)),
      vector: vectorFromProto(image.vector, `vector of image ${image.imageId} of product ${entry.product?.productId}`),
      ...descriptionFromProto(image.description),
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
    tags: Object.entries(filter.tags ?? {}).map(([attribute, labels]) => ({ attribute, labels: [...labels] })),
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
    tags: message.tags.length > 0 ? tagFilterFromProto(message.tags) : undefined,
  };
}

/** Repeated entries for one attribute (a client building the message by hand) are merged, still OR'ed. */
function tagFilterFromProto(entries: readonly searchV1.TagFilter[]): TagFilter {
  const filter: TagFilter = {};
  for (const { attribute, labels } of entries) {
    if (!attribute) throw new MalformedMessageError('a tag filter names no attribute');
    if (labels.length === 0) throw new MalformedMessageError(`the tag filter on "${attribute}" names no label`);
    filter[attribute] = [...(filter[attribute] ?? []), ...labels];
  }
  return filter;
}

/** searchV1.ProductTag and the contract's ProductTag have the same fields: one copy serves both directions. */
export function copyProductTag({ attribute, label, confidence, taxonomyVersion }: ProductTag): ProductTag {
  return { attribute, label, confidence, taxonomyVersion };
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
    matchedImageDescription: hit.matchedImageDescription ?? '',
    vectorScore: hit.vectorScore,
    keywordScore: hit.keywordScore,
    tags: (hit.tags ?? []).map(copyProductTag),
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
    ...(hit.matchedImageDescription ? { matchedImageDescription: hit.matchedImageDescription } : {}),
    ...(hit.tags.length > 0 ? { tags: hit.tags.map(copyProductTag) } : {}),
  };
}

function copyFacet({ value, count }: FacetCount): FacetCount {
  return { value, count };
}

/** The fixed facets have the same fields on both sides: one copy serves both directions. */
function copyFixedFacets(facets: Omit<SearchFacets, 'tags'>): Omit<SearchFacets, 'tags'> {
  return {
    categories: facets.categories.map(copyFacet),
    brands: facets.brands.map(copyFacet),
    priceBands: facets.priceBands.map(copyFacet),
    stock: facets.stock.map(copyFacet),
  };
}

export function facetsToProto(facets: SearchFacets | undefined): searchV1.Facets | undefined {
  if (!facets) return undefined;
  const tags = Object.entries(facets.tags ?? {}).map(([attribute, labels]) => ({ attribute, labels: labels.map(copyFacet) }));
  return { ...copyFixedFacets(facets), tags };
}

export function facetsFromProto(facets: searchV1.Facets | undefined): SearchFacets | undefined {
  if (!facets) return undefined;
  if (facets.tags.length === 0) return copyFixedFacets(facets);
  const tags: TagFacets = {};
  for (const facet of facets.tags) tags[facet.attribute] = facet.labels.map(copyFacet);
  return { ...copyFixedFacets(facets), tags };
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
    modelId: query.modelId ?? '',
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
    modelId: request.modelId || undefined,
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
  if (!stored) return { product: undefined, images: [], failedImages: [], tags: [] };
  return {
    product: productToProto(stored.product),
    images: stored.images.map(({ imageId, imageUrl, content, description }) => ({
      imageId,
      imageUrl,
      content: imageContentToProto(content),
      description: description ?? '',
    })),
    failedImages: stored.failedImages.map(copyFailedImage),
    tags: (stored.tags ?? []).map(copyProductTag),
  };
}

export function storedProductFromProto(response: searchV1.GetProductResponse): StoredProduct | undefined {
  if (!response.product) return undefined;
  return {
    product: productFromProto(response.product),
    images: response.images.map(({ imageId, imageUrl, content, description }) => ({
      ...imageRefWithContent(imageId, imageUrl, imageContentFromProto(content)),
      ...descriptionFromProto(description),
    })),
    failedImages: response.failedImages.map(copyFailedImage),
    ...(response.tags.length > 0 ? { tags: response.tags.map(copyProductTag) } : {}),
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

export function labelVectorsToProto(vectors: readonly LabelVector[]): searchV1.LabelVector[] {
  return vectors.map(({ attribute, label, vector }) => ({ attribute, label, vector: packFloat32LE(vector) }));
}

export function labelVectorsFromProto(messages: readonly searchV1.LabelVector[]): LabelVector[] {
  return messages.map(({ attribute, label, vector }) => ({
    attribute,
    label,
    vector: vectorFromProto(vector, `vector of label "${label}"${attribute ? ` of attribute "${attribute}"` : ''}`),
  }));
}

/** The taxonomy travels as JSON: parsed and validated here, so a bad one is refused naming the attribute and label. */
function taxonomyInputFromJson(json: string): TaggingInput['taxonomy'] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new MalformedMessageError(`taxonomy_json is not JSON: ${(error as Error).message}`);
  }
  const result = validateTaxonomy(parsed);
  if (!result.ok) throw new MalformedMessageError(result.error.message);
  return result.value;
}

export function taggingInputToProto(input: TaggingInput): Pick<searchV1.PutTaggingRequest, 'taxonomyJson' | 'labelVectors' | 'modelId' | 'logitScale'> {
  return {
    taxonomyJson: JSON.stringify(input.taxonomy),
    labelVectors: labelVectorsToProto(input.labelVectors),
    modelId: input.modelId,
    logitScale: input.logitScale,
  };
}

export function taggingInputFromProto(request: Pick<searchV1.PutTaggingRequest, 'taxonomyJson' | 'labelVectors' | 'modelId' | 'logitScale'>): TaggingInput {
  if (!request.modelId) throw new MalformedMessageError('model_id is empty: name the model the label vectors were embedded with');
  if (!(request.logitScale > 0)) throw new MalformedMessageError(`logit_scale must be positive, got ${request.logitScale}`);
  return {
    taxonomy: taxonomyInputFromJson(request.taxonomyJson),
    labelVectors: labelVectorsFromProto(request.labelVectors),
    modelId: request.modelId,
    logitScale: request.logitScale,
  };
}

const TAGGING_STATES_TO_PROTO: Record<TaggingState, searchV1.TaggingState> = {
  idle: searchV1.TaggingState.TAGGING_STATE_IDLE,
  tagging: searchV1.TaggingState.TAGGING_STATE_TAGGING,
  done: searchV1.TaggingState.TAGGING_STATE_DONE,
  failed: searchV1.TaggingState.TAGGING_STATE_FAILED,
};
const TAGGING_STATES_FROM_PROTO = new Map<number, TaggingState>(
  Object.entries(TAGGING_STATES_TO_PROTO).map(([state, value]) => [value, state as TaggingState]),
);

export function taggingStatusToProto(status: TaggingStatus): searchV1.GetTaggingResponse {
  return {
    taxonomyJson: status.taxonomy ? JSON.stringify(status.taxonomy) : '',
    taxonomyVersion: status.taxonomy?.version ?? 0,
    modelId: status.modelId ?? '',
    state: TAGGING_STATES_TO_PROTO[status.state],
    productsTagged: status.productsTagged,
    productsTotal: status.productsTotal,
    error: status.error ?? '',
    queuedVersion: status.queuedVersion ?? 0,
  };
}

export function taggingStatusFromProto(response: searchV1.GetTaggingResponse): TaggingStatus {
  const state = TAGGING_STATES_FROM_PROTO.get(response.state);
  if (!state) throw new MalformedMessageError(`unexpected tagging state ${response.state}`);
  return {
    ...(response.taxonomyJson ? { taxonomy: JSON.parse(response.taxonomyJson) as Taxonomy } : {}),
    ...(response.modelId ? { modelId: response.modelId } : {}),
    state,
    productsTagged: Number(response.productsTagged),
    productsTotal: Number(response.productsTotal),
    ...(response.error ? { error: response.error } : {}),
    ...(response.queuedVersion ? { queuedVersion: response.queuedVersion } : {}),
  };
}

export function labelPreviewsToProto(previews: readonly LabelPreview[]): searchV1.PreviewTagsResponse {
  return {
    labels: previews.map(({ label, productCount, products }) => ({
      label,
      productCount,
      products: products.map(({ productId, title, imageUrl, confidence }) => ({ productId, title, imageUrl, confidence })),
    })),
  };
}

export function labelPreviewsFromProto(response: searchV1.PreviewTagsResponse): LabelPreview[] {
  return response.labels.map(({ label, productCount, products }) => ({
    label,
    productCount,
    products: products.map(({ productId, title, imageUrl, confidence }) => ({ productId, title, imageUrl, confidence })),
  }));
}

export function tagPageToProto(page: ProductTagPage): searchV1.ListTagsResponse {
  return {
    rows: page.rows.map(({ productId, ...tag }) => ({ productId, tag: copyProductTag(tag) })),
    nextPageToken: page.nextPageToken ?? '',
  };
}

export function tagPageFromProto(response: searchV1.ListTagsResponse): ProductTagPage {
  return {
    rows: response.rows.map(({ productId, tag }) => {
      if (!tag) throw new MalformedMessageError(`tag row of product ${productId} has no tag`);
      return { productId, ...copyProductTag(tag) };
    }),
    ...(response.nextPageToken ? { nextPageToken: response.nextPageToken } : {}),
  };
}

export function labelProbabilitiesToProto(labels: readonly LabelProbability[]): searchV1.ClassifyProductResponse {
  return { labels: labels.map(({ label, probability }) => ({ label, probability })) };
}

export function labelProbabilitiesFromProto(response: searchV1.ClassifyProductResponse): LabelProbability[] {
  return response.labels.map(({ label, probability }) => ({ label, probability }));
}
