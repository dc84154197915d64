/**
 * "This model directory is in use" markers: `models/<name>/.in-use/` holds one
 * file per process that has the model open (`<hostname>.<pid>.json`), so
 * `vsearch models pull --force` never replaces a model under a running
 * embedder. The embedder calls `markModelInUse(dir)` after loading a model and
 * `release()` when it closes; a marker of a process that died on this host
 * is ignored (and cleaned up).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const IN_USE_DIR = '.in-use';

export interface ModelInUseMarker {
  /** Removes this process's marker (idempotent). */
  release(): void;
}

export interface ModelUser {
  hostname: string;
  pid: number;
  since: string;
  /** False when the process is known to be gone (same host, no such pid). */
  alive: boolean;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Marks `dir` as used by this process until `release()`. */
export function markModelInUse(dir: string): ModelInUseMarker {
  const markerDir = path.join(dir, IN_USE_DIR);
  mkdirSync(markerDir, { recursive: true });
  const file = path.join(markerDir, `${os.hostname()}.${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ hostname: os.hostname(), pid: process.pid, since: new Date().toISOString() }));
  return { release: () => rmSync(file, { force: true }) };
}

/** Every process that marked `dir`, with whether it still runs (processes of other hosts count as running). */
export function modelUsers(dir: string): ModelUser[] {
  const markerDir = path.join(dir, IN_USE_DIR);
  if (!existsSync(markerDir)) return [];
  const users: ModelUser[] = [];
  for (const name of readdirSync(markerDir).filter((entry) => entry.endsWith('.json'))) {
    try {
      const raw = JSON.parse(readFileSync(path.join(markerDir, name), 'utf8')) as Partial<ModelUser>;
      if (typeof raw.pid !== 'number' || typeof raw.hostname !== 'string') continue;
      const alive = raw.hostname === os.hostname() ? processAlive(raw.pid) : true;
      users.push({ hostname: raw.hostname, pid: raw.pid, since: String(raw.since ?? ''), alive });
    } catch {
      // A marker being written right now: count it as in use.
      users.push({ hostname: 'unknown', pid: -1, since: '', alive: true });
    }
  }
  return users;
}

/** True while any live process has the model in `dir` open. Stale markers of dead local processes are removed. */
export function isModelInUse(dir: string): boolean {
  const users = modelUsers(dir);
  for (const user of users.filter((candidate) => !candidate.alive)) {
    rmSync(path.join(dir, IN_USE_DIR, `${user.hostname}.${user.pid}.json`), { force: true });
  }
  return users.some((user) => user.alive);
}
