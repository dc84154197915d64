/**
 * The parts of a SearchQuery every adapter settles the same way before it searches: which
 * rankings the query asks for (its mode), its order and its fusion settings, each checked, so a
 * malformed request gets the same clear error whichever store answers.
 */
import { DEFAULT_FUSION, SEARCH_MODES, SEARCH_SORTS, type FusionSettings, type SearchMode, type SearchSort } from '@vsearch/contracts';
import { VectorStoreError } from './errors';
import type { SearchQuery } from './types';

export interface ResolvedSearchRequest {
  mode: SearchMode;
  sort: SearchSort;
  fusion: FusionSettings;
}

const invalid = (message: string) => VectorStoreError.invalidArgument(message);

/** The query's mode (unset: hybrid with both a vector and text, else the ranking they allow), sort and fusion, checked. */
export function resolvedSearchRequest(query: SearchQuery): ResolvedSearchRequest {
  const hasVector = query.vector !== undefined;
  const hasText = typeof query.text === 'string' && query.text.trim() !== '';
  if (query.text !== undefined && typeof query.text !== 'string') throw invalid('query text must be a string');
  let mode = query.mode;
  if (mode === undefined) {
    if (!hasVector && !hasText) throw invalid('a search needs a query vector, query text or both');
    mode = hasVector && hasText ? 'hybrid' : hasVector ? 'vector' : 'keyword';
  }
  if (!SEARCH_MODES.includes(mode)) throw invalid(`search mode must be one of ${SEARCH_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if (mode !== 'keyword' && !hasVector) throw invalid(`${mode} search needs a query vector`);
  if (mode !== 'vector' && !hasText) throw invalid(`${mode} search needs query text`);

  const sort = query.sort ?? 'relevance';
  if (!SEARCH_SORTS.includes(sort)) throw invalid(`sort must be one of ${SEARCH_SORTS.join(', ')}, got ${JSON.stringify(sort)}`);

  const fusion = query.fusion ?? DEFAULT_FUSION;
  if (!Number.isInteger(fusion.k) || fusion.k < 1) throw invalid(`fusion k must be an integer of at least 1, got ${fusion.k}`);
  for (const [name, weight] of [['vectorWeight', fusion.vectorWeight], ['keywordWeight', fusion.keywordWeight]] as const) {
    if (!Number.isFinite(weight) || weight <= 0) throw invalid(`fusion ${name} must be a finite number above 0, got ${weight}`);
  }
  return { mode, sort, fusion: { k: fusion.k, vectorWeight: fusion.vectorWeight, keywordWeight: fusion.keywordWeight } };
}
