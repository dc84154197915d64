/**
 * Which rankings a search request asks for, and the checks on its text, sort and fusion settings,
 * shared by every adapter so both answer a malformed request with the same error.
 */
import { DEFAULT_FUSION, SEARCH_MODES, SEARCH_SORTS, type FusionSettings, type SearchMode, type SearchSort } from '@vsearch/contracts';
import { VectorStoreError } from './errors';
import type { SearchQuery } from './types';

/** A search request with its mode decided and its settings checked. */
export interface ResolvedSearch {
  mode: SearchMode;
  sort: SearchSort;
  fusion: FusionSettings;
  /** Present unless the mode is `vector`. */
  text?: string;
}

const invalid = (message: string) => VectorStoreError.invalidArgument(message);

/**
 * The request's mode (unset: `hybrid` when both a vector and non-empty text are given, else the
 * one ranking they allow) with its requirements checked: `vector` and `hybrid` need a vector,
 * `keyword` and `hybrid` need text (empty text matches no words). Text of any content is valid.
 */
export function resolveSearch(query: SearchQuery): ResolvedSearch {
  const hasText = typeof query.text === 'string' && query.text !== '';
  if (query.text !== undefined && typeof query.text !== 'string') throw invalid('query text must be a string');
  const mode = query.mode ?? (query.vector && hasText ? 'hybrid' : query.vector ? 'vector' : 'keyword');
  if (!SEARCH_MODES.includes(mode)) throw invalid(`search mode must be one of ${SEARCH_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if (mode !== 'keyword' && !query.vector) throw invalid(`${mode} search needs a query vector`);
  if (mode !== 'vector' && query.text === undefined) {
    throw invalid(query.mode === undefined ? 'a search needs a query vector or query text; both are empty' : `${mode} search needs query text`);
  }
  const sort = query.sort ?? 'relevance';
  if (!SEARCH_SORTS.includes(sort)) throw invalid(`sort must be one of ${SEARCH_SORTS.join(', ')}, got ${JSON.stringify(sort)}`);
  const fusion = query.fusion ?? DEFAULT_FUSION;
  if (!Number.isInteger(fusion.k) || fusion.k < 1) throw invalid(`fusion k must be an integer of at least 1, got ${fusion.k}`);
  for (const [name, weight] of [
    ['vectorWeight', fusion.vectorWeight],
    ['keywordWeight', fusion.keywordWeight],
  ] as const) {
    if (!Number.isFinite(weight) || weight <= 0) throw invalid(`fusion ${name} must be a finite number above 0, got ${weight}`);
  }
  return {
    mode,
    sort,
    fusion: { k: fusion.k, vectorWeight: fusion.vectorWeight, keywordWeight: fusion.keywordWeight },
    ...(mode !== 'vector' ? { text: query.text } : {}),
  };
}
