/**
 * Admin API keys: a presented key is hashed and compared with the hash of
 * every configured key in constant time (`timingSafeEqual` over equal-length
 * SHA-256 digests), so neither the key's content nor its length leaks
 * through timing. Keys are never logged; clients are named by a hash prefix.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type ApiKeyVerdict = { outcome: 'accepted'; clientId: string } | { outcome: 'missing' } | { outcome: 'rejected' };

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export class ApiKeyVerifier {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.filter((key) => key.length > 0).map(digest);
  }

  get configured(): boolean {
    return this.digests.length > 0;
  }

  verify(presented: string | string[] | undefined): ApiKeyVerdict {
    const key = Array.isArray(presented) ? presented[0] : presented;
    if (key === undefined || key === '') return { outcome: 'missing' };
    const presentedDigest = digest(key);
    let matched = false;
    // Every configured key is compared, so the time does not tell which one (or whether any) matched.
    for (const known of this.digests) matched = timingSafeEqual(presentedDigest, known) || matched;
    return matched ? { outcome: 'accepted', clientId: `key:${presentedDigest.toString('hex').slice(0, 16)}` } : { outcome: 'rejected' };
  }
}
