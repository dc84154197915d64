/**
 * Zero-shot tags in Qdrant payloads: the fields a product's points carry for its tags (the tags
 * themselves, their `attribute=label` keys for filters and facets, the taxonomy version that
 * guards re-tags), the product text keyword search indexes with the tag labels in it, and the tag
 * facets counted from the keys of what matched.
 */
import type { ProductTag, TagFacets } from '@vsearch/contracts';
import { tagFacetsFromCounts } from '../tag-facets';
import { PAYLOAD } from './qdrant-filter';

/** Payload keys of a product's tags (image points and the record point carry all three). */
export const TAG_PAYLOAD = Object.freeze({
  /** [{ attribute, label, confidence, taxonomy_version }]. */
  tags: 'tags',
  /** Taxonomy version of the tags (0: never tagged); a re-tag of an older version leaves the point alone. */
  tagsVersion: 'tags_version',
});

/** A tag as stored in the payload (snake_case, as Qdrant payloads in this store are read by operators too). */
interface StoredTag {
  attribute: string;
  label: string;
  confidence: number;
  taxonomy_version: number;
}

/** The `attribute=label` key of a tag; attribute names never hold "=" (contracts' ATTRIBUTE_NAME), so the first "=" splits it. */
export function tagKey(attribute: string, label: string): string {
  return `${attribute}=${label}`;
}

/** The payload fields of a product's tags: the tags, their keys (`tag_keys`, keyword-indexed) and their taxonomy version. */
export function tagPayload(tags: readonly ProductTag[], tagsVersion: number): Record<string, unknown> {
  return {
    [TAG_PAYLOAD.tags]: tags.map(({ attribute, label, confidence, taxonomyVersion }): StoredTag => ({
      attribute,
      label,
      confidence,
      taxonomy_version: taxonomyVersion,
    })),
    [PAYLOAD.tagKeys]: tags.map(({ attribute, label }) => tagKey(attribute, label)),
    [TAG_PAYLOAD.tagsVersion]: tagsVersion,
  };
}

/** The tags of a payload (none for points written before tags existed). */
export function tagsOf(payload: object | null | undefined): ProductTag[] {
  const stored = (payload as Record<string, unknown> | null | undefined)?.[TAG_PAYLOAD.tags];
  if (!Array.isArray(stored)) return [];
  return (stored as StoredTag[]).map(({ attribute, label, confidence, taxonomy_version }) => ({
    attribute,
    label,
    confidence,
    taxonomyVersion: taxonomy_version,
  }));
}

/** The taxonomy version of a payload's tags (0 when never tagged, or written before tags existed). */
export function tagsVersionOf(payload: object | null | undefined): number {
  const version = (payload as Record<string, unknown> | null | undefined)?.[TAG_PAYLOAD.tagsVersion];
  return typeof version === 'number' ? version : 0;
}

/**
 * Tag facets over matched products' `attribute=label` keys: per attribute (by name), labels most
 * frequent first (ties by label), as the embedded store counts them; undefined when none is tagged.
 */
export function tagFacetsOfKeys(keysPerProduct: Iterable<readonly string[]>): TagFacets | undefined {
  const counts = new Map<string, Map<string, number>>();
  for (const keys of keysPerProduct) {
    for (const key of new Set(keys)) {
      const split = key.indexOf('=');
      if (split <= 0) continue;
      const [attribute, label] = [key.slice(0, split), key.slice(split + 1)];
      let labels = counts.get(attribute);
      if (!labels) counts.set(attribute, (labels = new Map()));
      labels.set(label, (labels.get(label) ?? 0) + 1);
    }
  }
  return counts.size === 0 ? undefined : tagFacetsFromCounts(counts);
}
