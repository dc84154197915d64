/**
 * Remembers which catalog file was fed into which event log, so a second
 * `npm start` does not publish the same catalog again: the marker names the
 * destination and the file's sha256, and for the embedded log it is trusted
 * only while the products topic still holds at least that many events (a
 * deleted event log means publishing again).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MARKER_FILE = 'published-catalog.json';

export interface PublishMarker {
  destination: string;
  catalogFile: string;
  sha256: string;
  events: number;
  publishedAt: string;
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function readPublishMarker(dataDir: string): Promise<PublishMarker | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, MARKER_FILE), 'utf8')) as PublishMarker;
  } catch {
    return undefined;
  }
}

export async function writePublishMarker(dataDir: string, marker: PublishMarker): Promise<void> {
  const file = path.join(dataDir, MARKER_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(marker, null, 2)}\n`);
  await rename(temp, file);
}

/** True when this exact catalog already went to this destination and the log still holds it. */
export function isAlreadyPublished(marker: PublishMarker | undefined, current: { destination: string; sha256: string; eventsInTopic: number }): boolean {
  return !!marker && marker.destination === current.destination && marker.sha256 === current.sha256 && current.eventsInTopic >= marker.events;
}
