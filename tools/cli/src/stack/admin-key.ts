/**
 * The admin API key of the embedded stack: `npm start` without ADMIN_API_KEYS
 * creates a random key in `DATA_DIR/admin-api-key` (mode 0600) and gives it to
 * the query API; `vsearch reindex` on the same machine reads it from there when
 * no --api-key / VSEARCH_API_KEY is given.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ADMIN_KEY_FILE = 'admin-api-key';

export function readEmbeddedAdminKey(dataDir: string): string | undefined {
  try {
    const key = readFileSync(path.join(dataDir, ADMIN_KEY_FILE), 'utf8').trim();
    return key || undefined;
  } catch {
    return undefined;
  }
}

export function ensureEmbeddedAdminKey(dataDir: string): string {
  const existing = readEmbeddedAdminKey(dataDir);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(24).toString('base64url');
  try {
    writeFileSync(path.join(dataDir, ADMIN_KEY_FILE), `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    // Another start won the race: use its key.
    return readEmbeddedAdminKey(dataDir) ?? key;
  }
}
