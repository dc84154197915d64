/**
 * How long one catalog event takes to be indexed in the one-process stack (`vsearch start`), for
 * the decode-flood test and benchmark: the query API and ingestion share that process's CPU and
 * libuv thread pool, so a flood of photo uploads can slow catalog indexing. Each probe event
 * carries a photo never seen before (written into the sample catalog's images, fetched from the
 * query API's own /catalog-images/ as the sample catalog is), so it is fetched, decoded and
 * embedded for real, never answered from ingestion's embedding cache. Test-only: imported by
 * *.int-spec.ts files and bench/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { FileEventLog } from '@vsearch/event-log';
import { SearchClient } from '@vsearch/grpc-clients';

export const PRODUCTS_TOPIC = 'catalog.products.v1';
const PROBE_DIR = 'event-probes';

export interface OneProcessStackAddresses {
  /** DATA_DIR of `vsearch start`. */
  dataDir: string;
  queryApiPort: number;
  searchPort: number;
}

export class CatalogEventTimer {
  private readonly log: FileEventLog;
  private readonly search: SearchClient;
  private sequence = 0;

  constructor(private readonly stack: OneProcessStackAddresses) {
    // The same files ingestion consumes: appends from another process are atomic (FileEventLog).
    this.log = new FileEventLog({ dir: path.join(stack.dataDir, 'event-log') });
    this.search = new SearchClient({ address: `127.0.0.1:${stack.searchPort}`, defaultDeadlineMs: 10_000 });
  }

  /**
   * Publishes one product.upserted event with a new photo and resolves with the milliseconds from
   * the publish until search stores it; throws after `deadlineMs`.
   */
  async timeOneEvent(deadlineMs: number, pollMs = 25): Promise<number> {
    const n = ++this.sequence;
    const productId = `event-probe-${process.pid}-${n}`;
    const imageFile = `${PROBE_DIR}/${productId}.jpg`;
    mkdirSync(path.join(this.stack.dataDir, 'catalog', 'images', PROBE_DIR), { recursive: true });
    writeFileSync(path.join(this.stack.dataDir, 'catalog', 'images', imageFile), await uniquePhoto(n));
    const event = {
      type: 'product.upserted',
      productId,
      version: 1,
      title: `Probe product ${n}`,
      categories: ['probes'],
      price: { amount: 10, currency: 'EUR' },
      inStock: true,
      images: [{ id: 'main', url: `http://127.0.0.1:${this.stack.queryApiPort}/catalog-images/${imageFile}` }],
      occurredAt: new Date().toISOString(),
    };
    const started = performance.now();
    await this.log.publish(PRODUCTS_TOPIC, [{ key: productId, value: JSON.stringify(event) }]);
    while (performance.now() - started < deadlineMs) {
      const stored = await this.search.getProduct(productId).catch(() => null);
      if (stored) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    throw new Error(`catalog event ${productId} was not indexed within ${deadlineMs} ms`);
  }

  /** Events ingestion dead-lettered so far (the DLQ topic's end offsets). */
  async deadLetters(): Promise<number> {
    return [...(await this.log.endOffsets(`${PRODUCTS_TOPIC}.dlq`)).values()].reduce((sum, end) => sum + Number(end), 0);
  }

  async close(): Promise<void> {
    this.search.close();
    await this.log.close();
  }
}

/** A 640×480 JPEG of noise seeded by `n`: a photo-sized decode, and bytes no other probe has. */
async function uniquePhoto(n: number): Promise<Buffer> {
  const width = 640;
  const height = 480;
  const pixels = Buffer.alloc(width * height * 3);
  let state = (n * 2654435761) >>> 0 || 1;
  for (let i = 0; i < pixels.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    pixels[i] = state & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}
