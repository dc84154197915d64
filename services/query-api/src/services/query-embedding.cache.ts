/**
 * LRU cache of query embeddings, keyed by the model id and the normalised
 * query text, so popular queries skip the embedder (and a model change never
 * serves a vector of the old model).
 */

/** Trim, lower-case, collapse whitespace: "  Red   BOOTS " and "red boots" share one entry. */
export function normaliseQueryText(text: string): string {
  return text.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
}

export class QueryEmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(modelId: string, normalisedText: string): Float32Array | undefined {
    const key = cacheKey(modelId, normalisedText);
    const found = this.entries.get(key);
    if (!found) {
      this.misses++;
      return undefined;
    }
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    this.entries.delete(key);
    this.entries.set(key, found);
    this.hits++;
    return found;
  }

  set(modelId: string, normalisedText: string, embedding: Float32Array): void {
    const key = cacheKey(modelId, normalisedText);
    this.entries.delete(key);
    this.entries.set(key, embedding);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

function cacheKey(modelId: string, normalisedText: string): string {
  return `${modelId}\u0000${normalisedText}`;
}
