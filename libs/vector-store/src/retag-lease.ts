/**
 * The rules of the re-tag lease, shared by every adapter: each reads the stored record, decides
 * here, and writes the outcome with its own compare-and-set (the embedded store under its admin
 * queue, Qdrant with a conditional upsert).
 */
import type { RetagClaimRequest, RetagProgress } from './types';

/**
 * The record a claim writes, or undefined when the lease is held: a claim wins when there is no
 * record, the record holds no lease (done or failed), it is the claimant's own, or its lease has
 * expired, and never for a version older than the record's. A live lease holds even against a
 * newer version: the holder picks the newer one up when its run ends, so two versions are never
 * applied at once. A claim of the record's version continues a run that was `tagging` from its
 * cursor; anything else starts from the beginning.
 */
export function claimedRetagRecord(current: RetagProgress | undefined, claim: RetagClaimRequest): RetagProgress | undefined {
  const { owner, taxonomyVersion, leaseMs, now } = claim;
  if (current && taxonomyVersion < current.taxonomyVersion) return undefined;
  const free = !current || current.state !== 'tagging' || current.owner === owner || Date.parse(current.leaseExpiresAt) <= now.getTime();
  if (!free) return undefined;
  const lease = { owner, leaseExpiresAt: new Date(now.getTime() + leaseMs).toISOString(), updatedAt: now.toISOString() };
  if (current && current.state === 'tagging' && current.taxonomyVersion === taxonomyVersion) return { ...current, ...lease };
  return { taxonomyVersion, collection: '', state: 'tagging', productsTagged: 0, productsTotal: 0, ...lease };
}

/** Whether `progress` may be written over `current`: only by the holder of the record's version (a lost lease stops the run). */
export function holdsRetag(current: RetagProgress | undefined, progress: RetagProgress): boolean {
  return current !== undefined && current.owner === progress.owner && current.taxonomyVersion === progress.taxonomyVersion;
}
