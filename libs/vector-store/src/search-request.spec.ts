import { isVectorStoreError } from './errors';
import { resolvedSearchRequest } from './search-request';
import type { SearchQuery } from './types';

const vector = new Float32Array([1, 0]);
const refusal = (query: Partial<SearchQuery>): string => {
  try {
    resolvedSearchRequest({ limit: 10, ...query });
  } catch (error) {
    if (isVectorStoreError(error, 'invalid-argument')) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe(resolvedSearchRequest.name, () => {
  it('picks hybrid with a vector and text, else the one ranking they allow, with relevance and the default fusion', () => {
    expect(resolvedSearchRequest({ vector, text: 'red boot', limit: 10 })).toEqual({ mode: 'hybrid', sort: 'relevance', fusion: { k: 60, vectorWeight: 1, keywordWeight: 1 } });
    expect(resolvedSearchRequest({ vector, limit: 10 }).mode).toBe('vector');
    expect(resolvedSearchRequest({ vector, text: '  ', limit: 10 }).mode).toBe('vector');
    expect(resolvedSearchRequest({ text: 'boot', limit: 10 }).mode).toBe('keyword');
    expect(resolvedSearchRequest({ vector, text: 'boot', mode: 'vector', sort: 'newest', fusion: { k: 10, vectorWeight: 2, keywordWeight: 0.5 }, limit: 10 })).toEqual({
      mode: 'vector',
      sort: 'newest',
      fusion: { k: 10, vectorWeight: 2, keywordWeight: 0.5 },
    });
  });

  it('refuses a mode without what it ranks by, unknown modes and sorts, and fusion it cannot apply', () => {
    expect(refusal({})).toBe('a search needs a query vector, query text or both');
    expect(refusal({ text: 'boot', mode: 'hybrid' })).toBe('hybrid search needs a query vector');
    expect(refusal({ vector, mode: 'keyword' })).toBe('keyword search needs query text');
    expect(refusal({ vector, mode: 'fuzzy' as never })).toMatch(/search mode must be one of hybrid, vector, keyword, got "fuzzy"/);
    expect(refusal({ vector, sort: 'cheapest' as never })).toMatch(/sort must be one of .*got "cheapest"/);
    expect(refusal({ vector, fusion: { k: 0, vectorWeight: 1, keywordWeight: 1 } })).toBe('fusion k must be an integer of at least 1, got 0');
    expect(refusal({ vector, fusion: { k: 60, vectorWeight: 1, keywordWeight: 0 } })).toBe('fusion keywordWeight must be a finite number above 0, got 0');
  });
});
