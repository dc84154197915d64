/**
 * Damage found in an embedded collection's stored files: which file, at which byte, what failed
 * (a checksum, a short read, a gap in the log) and what data it affects. Thrown while a
 * collection loads; the store catches it, marks the collection damaged and serves the others.
 */
export class StorageDamageError extends Error {
  constructor(
    /** The damaged file, relative to the collection's directory (`snapshot-12/vectors.f32`). */
    readonly file: string,
    /** Byte offset in that file where the damage starts. */
    readonly offset: number,
    /** What failed, in words: `checksum mismatch in bytes 0-1048575`. */
    readonly problem: string,
    /** What data cannot be trusted because of it: `the vectors of 512 products (p0 … p511)`. */
    readonly affected: string,
  ) {
    super(`${file} at byte ${offset}: ${problem}; affected: ${affected}`);
    this.name = 'StorageDamageError';
  }
}

/** Up to `shown` ids, then how many more: `p1, p2, p3 and 509 more`. */
export function describeIds(ids: readonly string[], shown = 3): string {
  if (ids.length <= shown) return ids.join(', ');
  return `${ids.slice(0, shown).join(', ')} and ${ids.length - shown} more`;
}
