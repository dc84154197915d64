/**
 * Vectors already computed, keyed by sha256(image bytes) + model id: variants that share a photo
 * and replays (reindex, redelivery) are not embedded again. Bounded LRU in memory.
 */
import { createHash } from 'node:crypto';

export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(private readonly capacity: number) {}

  static keyOf(bytes: Uint8Array, modelId: string): string {
    return `${modelId}:${createHash('sha256').update(bytes).digest('hex')}`;
  }

  get(key: string): Float32Array | undefined {
    const vector = this.entries.get(key);
    if (vector === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    this.entries.delete(key);
    this.entries.set(key, vector);
    return vector;
  }

  set(key: string, vector: Float32Array): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, vector);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
