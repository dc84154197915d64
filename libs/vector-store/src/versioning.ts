/**
 * Version rules shared by every adapter: one place decides whether a write
 * wins, so the Qdrant and embedded stores cannot drift apart.
 */
import type { WriteOutcome } from './types';

/** What a store remembers about a product: its version and whether that version was a delete. */
export interface StoredVersion {
  version: number;
  deleted: boolean;
}

/**
 * An upsert wins over a live product of the same or an older version (equal
 * versions are redeliveries and re-apply idempotently) and over a tombstone
 * only when strictly newer, so a redelivered old upsert cannot undo a delete.
 */
export function decideUpsert(stored: StoredVersion | undefined, version: number): Exclude<WriteOutcome, 'not_found'> {
  if (!stored) return 'applied';
  if (stored.deleted) return version > stored.version ? 'applied' : 'stale';
  return version >= stored.version ? 'applied' : 'stale';
}

/** A delete wins over anything not newer; on an unknown product it still records a tombstone. */
export function decideDelete(stored: StoredVersion | undefined, version: number): Exclude<WriteOutcome, 'not_found'> {
  if (!stored) return 'applied';
  return version >= stored.version ? 'applied' : 'stale';
}

/** Attribute updates need a live product; a stored newer version makes them stale. */
export function decideAttributeUpdate(stored: StoredVersion | undefined, version: number): WriteOutcome {
  if (!stored || stored.deleted) return 'not_found';
  return version >= stored.version ? 'applied' : 'stale';
}
