/**
 * A decode flood against a running query API, for the flood test and its benchmark: clients
 * upload one heavy PNG (16-bit, under the pixel limit) as fast as they get answers while a prober
 * times GET /healthz. Test-only: imported by *.int-spec.ts files and bench/.
 */
import sharp from 'sharp';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';

export interface DecodeFloodOptions {
  baseUrl: string;
  /** Uploads in flight at once (each client sends its next upload when the last is answered). */
  clients: number;
  /** How long the flood lasts. */
  durationMs: number;
  /** Pause between probes of /healthz. */
  probeEveryMs: number;
  /** A request not answered within this is counted as hung and aborted. */
  requestDeadlineMs: number;
  /**
   * Each client starts its uploads at least this far apart (0: back to back). Paced clients send
   * at a fixed rate, as issue 16's flood did (20 uploads/s), instead of as fast as refusals come back.
   */
  clientIntervalMs?: number;
  image: Buffer;
  /** Ends the flood before `durationMs` (a measurement taken during it is done). */
  signal?: AbortSignal;
}

export interface DecodeFloodResult {
  /** Answers by status and error code (`503 overloaded`); `hung` for requests past the deadline, `error` for broken connections. */
  uploads: Record<string, number>;
  /** Retry-After of every 503 (seconds; NaN when missing). */
  retryAfterSeconds: number[];
  /** /healthz round trips, ms, in the order sent; a failed probe counts as the deadline. */
  probeMs: number[];
  probeFailures: number;
}

/** A flat 16-bit RGB PNG of `side` × `side`: a few KB on the wire, every pixel still inflated and converted when decoded. */
export async function heavyPng(side: number): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: { r: 120, g: 40, b: 200 } } })
    .toColourspace('rgb16')
    .png({ compressionLevel: 9 })
    .toBuffer();
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function runDecodeFlood(options: DecodeFloodOptions): Promise<DecodeFloodResult> {
  const result: DecodeFloodResult = { uploads: {}, retryAfterSeconds: [], probeMs: [], probeFailures: 0 };
  const count = (key: string) => (result.uploads[key] = (result.uploads[key] ?? 0) + 1);
  const endAt = performance.now() + options.durationMs;
  const flooding = () => performance.now() < endAt && !options.signal?.aborted;

  const client = async () => {
    while (flooding()) {
      const startedAt = performance.now();
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(options.image)], { type: 'image/png' }), 'heavy.png');
      try {
        const response = await fetch(`${options.baseUrl}/v1/search/image?limit=3`, {
          method: 'POST',
          body: form,
          signal: AbortSignal.timeout(options.requestDeadlineMs),
        });
        const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
        count(body.error?.code ? `${response.status} ${body.error.code}` : String(response.status));
        if (response.status === 503) result.retryAfterSeconds.push(Number(response.headers.get('retry-after') ?? NaN));
      } catch (error) {
        count((error as Error).name === 'TimeoutError' ? 'hung' : 'error');
      }
      const wait = (options.clientIntervalMs ?? 0) - (performance.now() - startedAt);
      if (wait > 0 && flooding()) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };

  const prober = async () => {
    while (flooding()) {
      const started = performance.now();
      try {
        const response = await fetch(`${options.baseUrl}/healthz`, { signal: AbortSignal.timeout(options.requestDeadlineMs) });
        await response.arrayBuffer();
        if (response.status !== 200) result.probeFailures++;
        result.probeMs.push(performance.now() - started);
      } catch {
        result.probeFailures++;
        result.probeMs.push(options.requestDeadlineMs);
      }
      await new Promise((resolve) => setTimeout(resolve, options.probeEveryMs));
    }
  };

  await Promise.all([...Array.from({ length: options.clients }, client), prober()]);
  return result;
}

/**
 * Creates an empty live generation of the embedder's model behind the alias `products`. A photo
 * search learns the live generation's model (its input size) before it decodes, so on a store
 * without one every upload would answer 503 before reaching the decode gate the flood measures.
 */
export async function createEmptyLiveGeneration(addresses: { embedder: string; search: string }): Promise<void> {
  const embedder = new EmbedderClient({ address: addresses.embedder });
  const search = new SearchClient({ address: addresses.search });
  try {
    const { modelId, dimension } = await embedder.getModelInfo();
    await search.swapAlias('products', await search.createGeneration(modelId, dimension));
  } finally {
    embedder.close();
    search.close();
  }
}
