/**
 * Traces in the one-process mode (`vsearch start`: the four services in one process share one
 * tracer provider, service name `vsearch`): the sample catalog's events are traced from the
 * publish through the embedded event log to the upsert, and a search request is one trace.
 * real: `vsearch start` as a child process (bundled model on CPU, embedded event log and store,
 * a generated catalog of 2 products) exporting OTLP/HTTP protobuf to an in-process OTLP receiver.
 * mock: nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freePort,
  isolatedEmbeddedStackEnv,
  startEmbeddedStack,
  startOtlpReceiver,
  waitFor,
  type OtlpReceiver,
  type ReceivedSpan,
  type RunningEmbeddedStack,
} from '@vsearch/testing';

const EMBED_TEXTS = 'visualsearch.embedder.v1.EmbedderService/EmbedTexts';
const SEARCH = 'visualsearch.search.v1.SearchService/Search';
const UPSERT = 'visualsearch.search.v1.SearchService/Upsert';

let receiver: OtlpReceiver;
let stack: RunningEmbeddedStack;
let dataDir: string;
let queryApiPort: number;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'vsearch-traces-one-process-'));
  queryApiPort = await freePort();
  stack = await startEmbeddedStack({
    args: ['--count', '2'],
    env: { ...isolatedEmbeddedStackEnv({ dataDir, queryApiPort }), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: 100 },
    readyTimeoutMs: 300_000,
  });
}, 360_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const byId = (spans: ReceivedSpan[], spanId: string) => spans.find((span) => span.spanId === spanId);

describe('traces in the one-process mode', () => {
  it("carries a catalog event's trace from the publish through the embedded log to the search upsert", async () => {
    /** The Upsert server span and its ancestors, as far as they have arrived. */
    const chainFrom = (upsert: ReceivedSpan): ReceivedSpan[] => {
      const trace = receiver.spans().filter((span) => span.traceId === upsert.traceId);
      const chain = [upsert];
      for (let parent = byId(trace, upsert.parentSpanId); parent; parent = byId(trace, parent.parentSpanId)) chain.push(parent);
      return chain;
    };
    let chain: ReceivedSpan[] = [];
    // The spans of one trace arrive in the order they end: the consumer's after the upsert's.
    await waitFor(
      'a traced Upsert whose trace reaches back to a root span',
      () => {
        const upserts = receiver.spans().filter((span) => span.name === UPSERT && span.kind === 'server');
        chain = upserts.map(chainFrom).find((candidate) => candidate[candidate.length - 1].parentSpanId === '') ?? [];
        return chain.length > 0;
      },
      60_000,
    );
    // Upsert (search) ← Upsert (client) ← the batched write ← the event's CONSUMER span ← the PRODUCER span of `vsearch start`'s publish.
    expect(chain.map((span) => [span.kind, span.name])).toEqual([
      ['server', UPSERT],
      ['client', UPSERT],
      ['internal', 'ingestion write products'],
      ['consumer', 'catalog.products.v1 process'],
      ['producer', 'catalog.products.v1 publish'],
    ]);
    expect(new Set(chain.map((span) => span.service))).toEqual(new Set(['vsearch']));
  });

  it('makes one search request one trace through the query API, the embedder and search', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`http://127.0.0.1:${queryApiPort}/v1/search?q=${encodeURIComponent('a warm coat')}`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(response.status).toBe(200);
    let spans: ReceivedSpan[] = [];
    await waitFor(
      "the search request's spans",
      () => {
        spans = receiver.spans().filter((span) => span.traceId === traceId);
        return ['GET /v1/search', EMBED_TEXTS, SEARCH].every((name) => spans.some((span) => span.name === name && span.kind === 'server'));
      },
      60_000,
    );
    const request = spans.find((span) => span.name === 'GET /v1/search')!;
    expect(request.parentSpanId).toBe(callerSpanId);
    for (const name of [EMBED_TEXTS, SEARCH]) {
      const server = spans.find((span) => span.name === name && span.kind === 'server')!;
      const client = byId(spans, server.parentSpanId)!;
      expect([client.kind, client.name, client.parentSpanId]).toEqual(['client', name, request.spanId]);
    }
  });
});
