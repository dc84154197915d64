/** Feeds a catalog JSONL file (one catalog event per line, e.g. the generator's `catalog.jsonl`) into the products topic. */
import { CATALOG_PRODUCTS_TOPIC } from '@vsearch/contracts';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { EventLog, EventRecord } from './event-log.port';

export interface PublishCatalogFileOptions {
  topic?: string;
  /** Records per publish call (default 500). */
  batchSize?: number;
  /** Rewrites each line before publishing (e.g. to point image URLs at another host). */
  transformLine?: (line: string) => string;
  onProgress?: (published: number) => void;
}

/**
 * Publishes every non-empty line as one record keyed by its `productId` (lines that are not
 * JSON are published as they are, keyless, so ingestion dead-letters them). Returns the count.
 */
export async function publishCatalogFile(eventLog: EventLog, file: string, options: PublishCatalogFileOptions = {}): Promise<number> {
  const topic = options.topic ?? CATALOG_PRODUCTS_TOPIC;
  const batchSize = options.batchSize ?? 500;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let pending: EventRecord[] = [];
  let published = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await eventLog.publish(topic, pending);
    published += pending.length;
    pending = [];
    options.onProgress?.(published);
  };
  for await (const raw of lines) {
    if (!raw.trim()) continue;
    const line = options.transformLine ? options.transformLine(raw) : raw;
    pending.push({ key: productKeyOf(line), value: line });
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  return published;
}

function productKeyOf(line: string): string | null {
  try {
    const parsed = JSON.parse(line) as { productId?: unknown };
    return typeof parsed.productId === 'string' ? parsed.productId : null;
  } catch {
    return null;
  }
}
