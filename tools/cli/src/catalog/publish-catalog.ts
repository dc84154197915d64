/**
 * Publishing a catalog file onto the products topic, keyed by product id (so
 * every event of one product lands on one partition, in order), in batches.
 * The sink is the event log port: Kafka in a cluster, the embedded file log on
 * one machine; the ingestion service consumes both the same way.
 */
import { CATALOG_PRODUCTS_TOPIC } from '@vsearch/contracts';
import { readCatalogLines } from './catalog-file';

/** The part of `EventLog` (`@vsearch/event-log`) publishing needs. */
export interface CatalogSink {
  publish(topic: string, records: { key: string | null; value: string | Buffer | null; headers?: Record<string, string> }[]): Promise<void>;
}

export interface InvalidLine {
  lineNumber: number;
  code: string;
  message: string;
}

export interface PublishSummary {
  published: number;
  upserts: number;
  deletes: number;
  invalid: number;
  /** The first invalid lines (up to `maxInvalidReported`). */
  invalidLines: InvalidLine[];
  elapsedMs: number;
}

export interface PublishOptions {
  topic?: string;
  batchSize?: number;
  /** Publish nothing, only validate. */
  dryRun?: boolean;
  maxInvalidReported?: number;
  onProgress?: (processedLines: number) => void;
}

export async function publishCatalog(sink: CatalogSink, file: string, options: PublishOptions = {}): Promise<PublishSummary> {
  const started = performance.now();
  const topic = options.topic ?? CATALOG_PRODUCTS_TOPIC;
  const batchSize = options.batchSize ?? 500;
  const maxReported = options.maxInvalidReported ?? 20;
  const summary: PublishSummary = { published: 0, upserts: 0, deletes: 0, invalid: 0, invalidLines: [], elapsedMs: 0 };
  let batch: { key: string; value: string }[] = [];
  let processed = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    if (!options.dryRun) await sink.publish(topic, batch);
    summary.published += batch.length;
    batch = [];
    options.onProgress?.(processed);
  };
  for await (const line of readCatalogLines(file)) {
    processed++;
    if (!line.ok) {
      summary.invalid++;
      if (summary.invalidLines.length < maxReported) summary.invalidLines.push({ lineNumber: line.lineNumber, code: line.code, message: line.message });
      continue;
    }
    if (line.event.type === 'product.upserted') summary.upserts++;
    else summary.deletes++;
    batch.push({ key: line.event.productId, value: line.raw });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  options.onProgress?.(processed);
  summary.elapsedMs = performance.now() - started;
  return summary;
}
