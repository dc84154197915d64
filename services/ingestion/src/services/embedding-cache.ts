/**
 * Vectors already computed, keyed by sha256(image bytes) + model id: variants that share a photo,
 * replays (reindex, redelivery) and images whose bytes did not change are not embedded again. Bounded LRU in memory, saved to a
 * file on shutdown and loaded on start (keys carry the model id, so another model never hits).
 */
import { createHash } from 'node:crypto';

export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(private readonly capacity: number) {}

  static keyOf(bytes: Uint8Array, modelId: string): string {
    return EmbeddingCache.keyOfHash(contentHash(bytes), modelId);
  }

  /** The key of bytes whose sha256 is known (an image record's content): no need to fetch them to look up their vector. */
  static keyOfHash(sha256: string, modelId: string): string {
    return `${modelId}:${sha256}`;
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

  /** Entries from least to most recently used. */
  entriesInOrder(): IterableIterator<[string, Float32Array]> {
    return this.entries.entries();
  }
}

/** sha256 of image bytes, lowercase hex: the cache's key and the image record's content hash. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const FILE_MAGIC = 'VSEC1';

/** Writes the cache to `file` (atomically: temp file + rename), most recently used last. */
export async function saveEmbeddingCache(cache: EmbeddingCache, file: string): Promise<number> {
  const { mkdir, rename, writeFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const parts: Buffer[] = [Buffer.from(FILE_MAGIC)];
  let count = 0;
  for (const [key, vector] of cache.entriesInOrder()) {
    const keyBytes = Buffer.from(key, 'utf8');
    const header = Buffer.alloc(6);
    header.writeUInt16LE(keyBytes.length, 0);
    header.writeUInt32LE(vector.length, 2);
    const values = Buffer.alloc(vector.length * 4);
    for (let i = 0; i < vector.length; i++) values.writeFloatLE(vector[i], i * 4);
    parts.push(header, keyBytes, values);
    count++;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, Buffer.concat(parts));
  await rename(temp, file);
  return count;
}

/** Loads entries saved by saveEmbeddingCache; a missing or damaged file loads nothing. */
export async function loadEmbeddingCache(cache: EmbeddingCache, file: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return 0;
  }
  if (data.subarray(0, FILE_MAGIC.length).toString() !== FILE_MAGIC) return 0;
  let offset = FILE_MAGIC.length;
  let count = 0;
  while (offset + 6 <= data.length) {
    const keyLength = data.readUInt16LE(offset);
    const dimension = data.readUInt32LE(offset + 2);
    const end = offset + 6 + keyLength + dimension * 4;
    if (end > data.length) break;
    const key = data.toString('utf8', offset + 6, offset + 6 + keyLength);
    const vector = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) vector[i] = data.readFloatLE(offset + 6 + keyLength + i * 4);
    cache.set(key, vector);
    offset = end;
    count++;
  }
  return count;
}
