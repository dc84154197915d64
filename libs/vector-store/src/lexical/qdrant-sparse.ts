/**
 * Keyword search in Qdrant (1.19) as sparse vectors: the request bodies that configure a sparse
 * vector `text`, write a product's text into it, and query it fused with the image vector.
 *
 * The text is analyzed here, by the same analyzer as the embedded store's index, not by Qdrant's
 * server-side BM25 (a `Document` with model `qdrant/bm25`): Qdrant's analyzer (`Bm25Config`:
 * tokenizer, stemmer, stop words, ASCII folding) cannot make "t-shirt", "T Shirt" and "tshirt" one
 * term or weight the title above the description, the two stores would find different products
 * for the same words, and the spec still marks `Document` "Work-in-progress, unimplemented".
 *
 * A product's vector: for each term, its frequency over the fields weighted by field boost (a title
 * word counts 3), saturated as BM25 does, tf·(k1 + 1) / (tf + k1·(1 − b + b·length / averageLength)),
 * where length is the product's boost-weighted term count. The query vector gives each distinct
 * query term 1. The collection's `modifier: "idf"` makes Qdrant multiply each query term by its
 * inverse document frequency over the collection at query time, so a dot product of the two is
 * the BM25 score. Terms are ids: the 32-bit MurmurHash3 of the term's UTF-8 bytes. Two terms rarely
 * share an id (about one pair among 100,000 distinct terms); when they do, their weights add up.
 *
 * Matching is all-words-first, as in the embedded store: a product's distinct terms are also a
 * keyword-indexed payload array on its image points (productTextTerms), and the text prefetch is
 * restricted by one `match: {any: forms}` condition per query word (queryWordConditions), so only
 * products holding every word are ranked; the store falls back to `min_should` (the most words a
 * product holds) only when no product holds them all. Qdrant has no term dictionary we can query,
 * so there is no typo tolerance here.
 *
 * Layout: Qdrant fuses prefetches by point id, so the text vector is written on every image point
 * of a product (the points the image prefetch returns), and the hybrid query groups the fused
 * points by product afterwards. Its inverse document frequencies therefore count image points: a
 * term of a product with three images counts three times.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { LEXICAL_FIELDS, lexicalTextByField, type LexicalProductText } from './lexical-fields';
import { DEFAULT_RRF_K } from './rrf';
import { analyzeQuery, analyzeQueryWords, analyzeText } from './tokenizer';

/** Name of the sparse vector holding a product's text on each of its image points. */
export const TEXT_VECTOR = 'text';

export interface SparseVector {
  /** Term ids, ascending, unique. */
  indices: number[];
  values: number[];
}

/** BM25's term-frequency saturation for the document side. */
export interface Bm25Saturation {
  k1: number;
  b: number;
  /**
   * Expected boost-weighted term count of a product. Length normalisation compares a product to
   * it, and Qdrant keeps no per-collection average for us, so it is fixed: 64 fits short product
   * texts (a title of 6-8 words counts 18-24, a 30-word description 30).
   */
  averageLength: number;
}

export const DEFAULT_BM25_SATURATION: Readonly<Bm25Saturation> = Object.freeze({ k1: 1.2, b: 0.75, averageLength: 64 });

/** `sparse_vectors` of the collection's creation body (CreateCollection). */
export function textSparseVectorsConfig(): Record<string, Schemas['SparseVectorParams']> {
  return { [TEXT_VECTOR]: { modifier: 'idf' } };
}

/** Body of `PUT /collections/{name}/vectors/text` (VectorNameConfig): adds the text vector to a collection created before it existed. */
export function textVectorNameConfig(): Schemas['VectorNameConfig'] {
  return { sparse: { modifier: 'idf' } };
}

/** The sparse vector of a product's text, written on each of its image points. */
export function productTextVector(product: LexicalProductText, saturation: Bm25Saturation = DEFAULT_BM25_SATURATION): SparseVector {
  assertSaturation(saturation);
  const texts = lexicalTextByField(product);
  const frequency = new Map<string, number>();
  let length = 0;
  for (const { name, boost } of LEXICAL_FIELDS) {
    for (const term of analyzeText(texts[name])) {
      frequency.set(term, (frequency.get(term) ?? 0) + boost);
      length += boost;
    }
  }
  const { k1, b, averageLength } = saturation;
  const norm = k1 * (1 - b + (b * length) / averageLength);
  const weights = new Map<number, number>();
  for (const [term, tf] of frequency) addWeight(weights, termId(term), (tf * (k1 + 1)) / (tf + norm));
  return toSparseVector(weights);
}

/** A product's distinct terms over every lexical field, for the payload array the word conditions test. */
export function productTextTerms(product: LexicalProductText): string[] {
  const texts = lexicalTextByField(product);
  return [...new Set(LEXICAL_FIELDS.flatMap(({ name }) => analyzeText(texts[name])))];
}

/**
 * One condition per query word on the payload array `key` (productTextTerms): the point holds
 * some form of the word ("t-shirt": "t" or "tshirt", and "shirt" or "tshirt"). Empty for a query
 * without words.
 */
export function queryWordConditions(text: string, key: string): Schemas['FieldCondition'][] {
  return analyzeQueryWords(text).map((word) => ({ key, match: { any: word.forms } }));
}

/** The sparse vector of a query: 1 per distinct term (Qdrant multiplies in the idf). Empty when the text has no terms. */
export function queryTextVector(text: string): SparseVector {
  const weights = new Map<number, number>();
  for (const { term } of analyzeQuery(text)) addWeight(weights, termId(term), 1);
  return toSparseVector(weights);
}

/** Body of `PUT /collections/{name}/points/vectors` (UpdateVectors): rewrites the text vector of a product's image points after its text changed. */
export function textVectorUpdate(imagePointIds: readonly string[], product: LexicalProductText): Schemas['UpdateVectors'] {
  if (imagePointIds.length === 0) throw new RangeError('a text vector update needs at least one image point id');
  const vector = productTextVector(product);
  return { points: imagePointIds.map((id) => ({ id, vector: { [TEXT_VECTOR]: vector } })) };
}

export interface HybridQuery extends HybridFusion {
  /** Products (groups) returned. */
  limit: number;
  /** Payload field that groups image points into products (`productId`). */
  groupBy: string;
}

/** The two prefetches and their fusion, the part of a hybrid query the grouped and the ungrouped Query API share. */
export interface HybridFusion {
  /** The query's image-space vector (the CLIP text embedding), normalised. */
  vector: readonly number[] | Float32Array;
  /** What the shopper typed. */
  text: string;
  /** Dense vector name of the collection (`image`). */
  using: string;
  /** One filter for both prefetches (kind = image plus the search filter), so neither finds what the other may not. */
  filter: Schemas['Filter'];
  /** The text prefetch's filter when it differs from `filter` (the filter plus the query's word conditions); default `filter`. */
  textFilter?: Schemas['Filter'];
  /**
   * Image points each prefetch returns for fusion; several can belong to one product, so make it
   * a few times the products wanted (e.g. max(100, 4 × limit)).
   */
  prefetchLimit: number;
  /** Cosine below which the image prefetch leaves a point out; the text prefetch is never cut by it (its words matched). */
  scoreThreshold?: number;
  /** RRF constant in this code base's convention (see rrf.ts); default 60. */
  k?: number;
  /** List weights, as in fuseByReciprocalRank; default 1 each. */
  weights?: { vector: number; lexical: number };
  /** Search params of the dense prefetch (hnsw_ef, quantization rescoring). */
  params?: Schemas['SearchParams'];
}

/**
 * Body of `POST /collections/{name}/points/query/groups` (QueryGroupsRequest): an image-vector
 * prefetch and a text-vector prefetch under the same filter, fused by RRF (`RrfQuery`), grouped
 * into one hit per product (its best fused image point). A text without terms (stop words,
 * emoji) leaves the text prefetch out; the image prefetch alone keeps RRF scores, so hit scores
 * stay on one scale.
 */
export function hybridQueryGroupsRequest(query: HybridQuery): Schemas['QueryGroupsRequest'] {
  if (!Number.isInteger(query.limit) || query.limit < 1) throw new RangeError(`hybrid query limit must be a positive integer, got ${query.limit}`);
  if (!Number.isInteger(query.prefetchLimit) || query.prefetchLimit < query.limit) {
    throw new RangeError(`hybrid query prefetchLimit must be an integer of at least limit (${query.limit}), got ${query.prefetchLimit}`);
  }
  return {
    ...hybridFusion(query),
    group_by: query.groupBy,
    group_size: 1,
    limit: query.limit,
    with_payload: true,
    with_vector: false,
  };
}

/**
 * `prefetch` and `query` of a hybrid Query API request (grouped or not): the image-vector prefetch
 * (cut at `scoreThreshold`) and the text-vector prefetch under the same filter, fused by RRF.
 */
export function hybridFusion(query: HybridFusion): Required<Pick<Schemas['QueryRequest'], 'prefetch' | 'query'>> {
  if (!Number.isInteger(query.prefetchLimit) || query.prefetchLimit < 1)
    throw new RangeError(`hybrid query prefetchLimit must be a positive integer, got ${query.prefetchLimit}`);
  if (query.scoreThreshold !== undefined && !Number.isFinite(query.scoreThreshold))
    throw new RangeError(`hybrid query scoreThreshold must be a finite number, got ${query.scoreThreshold}`);
  const weights = query.weights ?? { vector: 1, lexical: 1 };
  for (const [name, weight] of Object.entries(weights)) {
    if (!Number.isFinite(weight) || weight <= 0) throw new RangeError(`hybrid query ${name} weight must be a finite number above 0, got ${weight}`);
  }
  const textVector = queryTextVector(query.text);
  const prefetch: Schemas['Prefetch'][] = [
    {
      query: Array.from(query.vector),
      using: query.using,
      filter: query.filter,
      limit: query.prefetchLimit,
      ...(query.params ? { params: query.params } : {}),
      ...(query.scoreThreshold !== undefined ? { score_threshold: query.scoreThreshold } : {}),
    },
  ];
  const prefetchWeights = [weights.vector];
  if (textVector.indices.length > 0) {
    prefetch.push({ query: textVector, using: TEXT_VECTOR, filter: query.textFilter ?? query.filter, limit: query.prefetchLimit });
    prefetchWeights.push(weights.lexical);
  }
  const rrf: Schemas['Rrf'] = { k: qdrantRrfK(query.k ?? DEFAULT_RRF_K) };
  // Left out when neutral: servers before weights existed then still accept the request.
  if (prefetchWeights.some((weight) => weight !== 1)) rrf.weights = prefetchWeights;
  return { prefetch, query: { rrf } };
}

/**
 * Qdrant's `Rrf.k` that scores like fuseByReciprocalRank's `k`: Qdrant counts positions from 0
 * (1 / ((position + 1) / w + k − 1), reciprocal_rank_fusion.rs in Qdrant 1.19), this code base
 * counts ranks from 1 (1 / (rank / w + k)); Qdrant's own default k is 2, far from Cormack's 60.
 */
export function qdrantRrfK(k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`RRF k must be an integer of at least 1, got ${k}`);
  return k + 1;
}

/** MurmurHash3 (x86, 32-bit, seed 0) of the term's UTF-8 bytes: a stable id for a term across processes and releases. */
export function termId(term: string): number {
  return murmurHash3(term, 0);
}

/** MurmurHash3_x86_32 (Austin Appleby's reference) of the UTF-8 bytes of `text`. */
export function murmurHash3(text: string, seed: number): number {
  const bytes = Buffer.from(text, 'utf8');
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = bytes.length - (bytes.length % 4);
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = bytes[blocks];
    if (tail >= 2) k ^= bytes[blocks + 1] << 8;
    if (tail === 3) k ^= bytes[blocks + 2] << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function addWeight(weights: Map<number, number>, id: number, weight: number): void {
  weights.set(id, (weights.get(id) ?? 0) + weight);
}

function toSparseVector(weights: Map<number, number>): SparseVector {
  const indices = [...weights.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((index) => weights.get(index) as number) };
}

function assertSaturation({ k1, b, averageLength }: Bm25Saturation): void {
  if (!(Number.isFinite(k1) && k1 >= 0)) throw new RangeError(`BM25 k1 must be a finite number of at least 0, got ${k1}`);
  if (!(b >= 0 && b <= 1)) throw new RangeError(`BM25 b must be between 0 and 1, got ${b}`);
  if (!(Number.isFinite(averageLength) && averageLength > 0)) throw new RangeError(`BM25 averageLength must be a finite number above 0, got ${averageLength}`);
}
