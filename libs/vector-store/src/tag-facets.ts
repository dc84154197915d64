/**
 * Tag facets from counts, as both stores report them: attributes by name, each attribute's labels
 * most frequent first (ties by label), at most SEARCH_LIMITS.facetValues labels per attribute.
 */
import type { TagFacets } from '@vsearch/contracts';
import { SEARCH_LIMITS } from './types';

/** `counts`: attribute → label → products matched with that tag. */
export function tagFacetsFromCounts(counts: ReadonlyMap<string, ReadonlyMap<string, number>>): TagFacets {
  const facets: TagFacets = {};
  for (const [attribute, labels] of [...counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    facets[attribute] = [...labels.entries()]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
      .slice(0, SEARCH_LIMITS.facetValues);
  }
  return facets;
}
