/**
 * A text or vector search over one embedded collection: runs the rankings the mode asks for,
 * fuses them by reciprocal rank, counts and facets what matched, sorts and pages.
 *
 * What matched: with a cut-off (a score threshold, or keyword mode) the products above the
 * threshold in the vector ranking plus every product whose words match (a keyword match is never
 * cut by the threshold); without one, every product passing the filter (each has a cosine), whose
 * count and facets come from the collection's per-filter summary.
 *
 * Depth: each ranking contributes at most MATCH_COUNT_CAP products, so `total` is exact up to the
 * cap and facets count every product ranked. Where nothing is counted from the rankings (no
 * threshold, relevance order) the rankings only go as deep as the page (hybrid: each at least
 * FUSED_RANKING_DEPTH, so a product both rankings like can still rise; Qdrant's prefetches have a
 * limit the same way). Sorting by price or date
 * orders the matched products the rankings returned (at most the cap per ranking), ties by relevance.
 */
import { MATCH_COUNT_CAP, type SearchFacets } from '@vsearch/contracts';
import { fusedScores } from '../lexical/rrf';
import type { ResolvedSearch } from '../search-mode';
import { matchedImageFields } from '../product-data';
import type { SearchFilter, SearchHit } from '../types';
import type { EmbeddedCollection, Ranking } from './embedded-collection';

/** Depth of each ranking a hybrid search without a cut-off fuses. */
export const FUSED_RANKING_DEPTH = 100;

export interface CollectionSearch extends ResolvedSearch {
  /** Unit query vector; present unless the mode is `keyword`. */
  vector?: Float32Array;
  filter?: SearchFilter;
  limit: number;
  offset: number;
  scoreThreshold?: number;
  withFacets: boolean;
}

export interface CollectionSearchResult {
  hits: SearchHit[];
  total: number;
  totalIsLowerBound: boolean;
  facets?: SearchFacets;
}

interface Candidate {
  ordinal: number;
  /** The mode's score: cosine, BM25 or fused. */
  score: number;
  vectorScore?: number;
  keywordScore?: number;
  slot?: number;
}

const EMPTY: Ranking = { ranked: [], more: false };

export function searchCollection(collection: EmbeddedCollection, search: CollectionSearch): CollectionSearchResult {
  const pageEnd = search.offset + search.limit;
  // Everything matches when no ranking cuts: no threshold, and a vector ranking in play.
  const matchesAll = search.scoreThreshold === undefined && search.mode !== 'keyword';
  const countFromRankings = !matchesAll || search.sort !== 'relevance';

  const vectorDepth = countFromRankings ? MATCH_COUNT_CAP : search.mode === 'hybrid' ? Math.max(pageEnd, FUSED_RANKING_DEPTH) : pageEnd;
  const keywordDepth = countFromRankings ? MATCH_COUNT_CAP : Math.min(MATCH_COUNT_CAP, Math.max(pageEnd, FUSED_RANKING_DEPTH));
  const vector = search.mode === 'keyword' ? EMPTY : collection.vectorRanking(search.vector!, search.filter, vectorDepth, search.scoreThreshold);
  const keyword = search.mode === 'vector' ? EMPTY : collection.keywordRanking(search.text ?? '', search.filter, keywordDepth);

  const candidates = rankCandidates(search, vector, keyword);
  const ordered = search.sort === 'relevance' ? candidates : sortCandidates(collection, candidates, search.sort);

  let total: number;
  let totalIsLowerBound: boolean;
  let facets: SearchFacets | undefined;
  if (matchesAll) {
    const summary = collection.filterSummary(search.filter);
    total = Math.min(summary.count, MATCH_COUNT_CAP);
    totalIsLowerBound = summary.count > MATCH_COUNT_CAP;
    facets = search.withFacets ? summary.facets : undefined;
  } else {
    total = Math.min(candidates.length, MATCH_COUNT_CAP);
    totalIsLowerBound = candidates.length > MATCH_COUNT_CAP || vector.more || keyword.more;
    facets = search.withFacets ? collection.facetsOf(candidates.map((candidate) => candidate.ordinal)) : undefined;
  }

  const hits = ordered.slice(search.offset, pageEnd).map((candidate) => toHit(collection, candidate, search.vector));
  return { hits, total, totalIsLowerBound, facets };
}

/** The candidates best first by the mode's score. */
function rankCandidates(search: CollectionSearch, vector: Ranking, keyword: Ranking): Candidate[] {
  if (search.mode === 'vector') return vector.ranked.map(({ ordinal, score, slot }) => ({ ordinal, score, vectorScore: score, slot }));
  if (search.mode === 'keyword') return keyword.ranked.map(({ ordinal, score }) => ({ ordinal, score, keywordScore: score }));
  const byOrdinal = new Map<number, Candidate>();
  for (const { ordinal, score, slot } of vector.ranked) byOrdinal.set(ordinal, { ordinal, score: 0, vectorScore: score, slot });
  for (const { ordinal, score } of keyword.ranked) {
    const known = byOrdinal.get(ordinal);
    if (known) known.keywordScore = score;
    else byOrdinal.set(ordinal, { ordinal, score: 0, keywordScore: score });
  }
  const fused = fusedScores(
    [
      { name: 'vector', weight: search.fusion.vectorWeight, ids: vector.ranked.map(({ ordinal }) => ordinal) },
      { name: 'keyword', weight: search.fusion.keywordWeight, ids: keyword.ranked.map(({ ordinal }) => ordinal) },
    ],
    { k: search.fusion.k },
  );
  return fused.map(({ id, score }) => {
    const candidate = byOrdinal.get(id)!;
    candidate.score = score;
    return candidate;
  });
}

/** Price or date order; equal prices or dates keep their relevance order (the sort is stable). */
function sortCandidates(collection: EmbeddedCollection, candidates: Candidate[], sort: ResolvedSearch['sort']): Candidate[] {
  const keyed = candidates.map((candidate) => {
    const data = collection.dataAt(candidate.ordinal);
    const updatedAt = data.updatedAt ? Date.parse(data.updatedAt) : Number.NaN;
    return { candidate, price: data.price.amount, updatedAt: Number.isNaN(updatedAt) ? -Infinity : updatedAt };
  });
  if (sort === 'price_asc') keyed.sort((a, b) => a.price - b.price);
  else if (sort === 'price_desc') keyed.sort((a, b) => b.price - a.price);
  else keyed.sort((a, b) => (b.updatedAt === a.updatedAt ? 0 : b.updatedAt > a.updatedAt ? 1 : -1));
  return keyed.map(({ candidate }) => candidate);
}

function toHit(collection: EmbeddedCollection, candidate: Candidate, vector: Float32Array | undefined): SearchHit {
  const image = collection.bestImageOf(candidate.ordinal, vector, candidate.slot);
  return {
    product: collection.dataAt(candidate.ordinal),
    score: candidate.score,
    ...(candidate.vectorScore !== undefined ? { vectorScore: candidate.vectorScore } : {}),
    ...(candidate.keywordScore !== undefined ? { keywordScore: candidate.keywordScore } : {}),
    ...matchedImageFields(image),
    ...(collection.tagsAt(candidate.ordinal).length > 0 ? { tags: collection.tagsAt(candidate.ordinal).map((tag) => ({ ...tag })) } : {}),
  };
}
