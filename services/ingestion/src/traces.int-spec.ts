/**
 * Traces across the services (issue 20): one search request is one trace through the query API,
 * the embedder and search; one catalog event is one trace from ingestion's consumer span to the
 * search upsert, through the image fetch and the embedder.
 * real: an Apache Kafka broker (KAFKA_BROKERS or tools/kafka/kafka.sh), the embedder (bundled
 * model, CPU), search (embedded store), the query API (serving a generated product's images) and ingestion
 * as child processes started from their `main.ts` by the @vsearch/testing harness, each exporting
 * OTLP/HTTP protobuf to an in-process OTLP receiver; the catalog generator. mock: nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaEventLog } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { freePort, startOtlpReceiver, startStack, waitFor, type OtlpReceiver, type ReceivedSpan, type RunningStack } from '@vsearch/testing';
import { generateTestCatalog, type TestCatalog } from './testing/fixtures';

jest.setTimeout(180_000);

const EMBED_IMAGES = 'visualsearch.embedder.v1.EmbedderService/EmbedImages';
const EMBED_TEXTS = 'visualsearch.embedder.v1.EmbedderService/EmbedTexts';
const SEARCH = 'visualsearch.search.v1.SearchService/Search';
const UPSERT = 'visualsearch.search.v1.SearchService/Upsert';

/** A caller's span, as an upstream system would send it in `traceparent`. */
function upstreamSpan(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

describe('traces across the services', () => {
  let receiver: OtlpReceiver;
  let stack: RunningStack;
  let log: KafkaEventLog;
  let catalogDir: string;
  let catalog: TestCatalog;
  let queryApiUrl: string;
  const prefix = uniqueTopicPrefix('traces');
  const topic = `${prefix}catalog.products.v1`;

  beforeAll(async () => {
    const brokers = await kafkaBrokersForTests();
    receiver = await startOtlpReceiver();
    const queryApiPort = await freePort();
    queryApiUrl = `http://127.0.0.1:${queryApiPort}`;
    // One generated product whose images the query API serves (as in `vsearch start`).
    catalogDir = mkdtempSync(path.join(os.tmpdir(), 'vsearch-traces-'));
    catalog = await generateTestCatalog(20, 1, `${queryApiUrl}/catalog-images`, catalogDir);
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'traces-int-test' });
    await log.ensureTopics([{ topic, partitions: 1 }]);
    stack = await startStack({
      services: ['embedder', 'search', 'query-api', 'ingestion'],
      ports: { 'query-api': { port: queryApiPort } },
      // A short export delay: spans arrive within a fraction of a second of ending.
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: 100, LOG_LEVEL: 'error' },
      serviceEnv: {
        'query-api': { CATALOG_IMAGES_DIR: path.join(catalogDir, 'images') },
        ingestion: { KAFKA_BROKERS: brokers, TOPIC_PREFIX: prefix, CONSUMER_GROUP: `${prefix}ingestion`, IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${queryApiPort}` },
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await log?.close();
    await receiver?.close();
    if (catalogDir) rmSync(catalogDir, { recursive: true, force: true });
  });

  /** Waits until the trace holds a span matching each of `wanted` (service and name); returns the trace's spans. */
  async function traceWith(traceId: string, wanted: [service: string, name: string][]): Promise<ReceivedSpan[]> {
    let spans: ReceivedSpan[] = [];
    await waitFor(
      `spans ${wanted.map(([service, name]) => `${service}:${name}`).join(', ')} in trace ${traceId}`,
      () => {
        spans = receiver.spans().filter((span) => span.traceId === traceId);
        return wanted.every(([service, name]) => spans.some((span) => span.service === service && span.name === name));
      },
      60_000,
      200,
    );
    return spans;
  }

  /** The one span of the trace with that service, name and kind. */
  function only(spans: ReceivedSpan[], service: string, name: string, kind: ReceivedSpan['kind']): ReceivedSpan {
    const matching = spans.filter((span) => span.service === service && span.name === name && span.kind === kind);
    if (matching.length !== 1) throw new Error(`expected one ${kind} span ${service}:${name}, got ${matching.length} in ${JSON.stringify(spans, null, 1)}`);
    return matching[0];
  }

  it('follows one catalog event from the consumer through the image fetch and the embedder to the search upsert', async () => {
    const producer = upstreamSpan();
    await log.publish(topic, [{ key: catalog.productIds[0], value: catalog.lines[0], headers: { traceparent: producer.traceparent } }]);

    const spans = await traceWith(producer.traceId, [
      ['ingestion', `${topic} process`],
      ['embedder', EMBED_IMAGES],
      ['search', UPSERT],
    ]);
    const consumer = only(spans, 'ingestion', `${topic} process`, 'consumer');
    expect(consumer.parentSpanId).toBe(producer.spanId);

    // Each image fetched (from the query API's /catalog-images) and embedded under the event's span.
    const fetches = spans.filter((span) => span.service === 'ingestion' && span.name === 'GET' && span.kind === 'client');
    expect(fetches).toHaveLength(catalog.imageCount);
    for (const fetch of fetches) {
      expect(fetch.parentSpanId).toBe(consumer.spanId);
      expect(fetch.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'url.path': expect.stringMatching(/^\/catalog-images\//) });
    }
    const embedClients = spans.filter((span) => span.service === 'ingestion' && span.name === EMBED_IMAGES && span.kind === 'client');
    expect(embedClients.length).toBeGreaterThan(0);
    for (const client of embedClients) expect(client.parentSpanId).toBe(consumer.spanId);
    // The embedder exports on its own schedule: wait for the server span of every call.
    const servedIn = (traceSpans: ReceivedSpan[]) =>
      traceSpans.filter((span) => span.service === 'embedder' && span.name === EMBED_IMAGES && span.kind === 'server');
    await waitFor(
      'a server span for every EmbedImages call',
      () => servedIn(receiver.spans().filter((span) => span.traceId === producer.traceId)).length >= embedClients.length,
      30_000,
    );
    const embedServers = servedIn(receiver.spans().filter((span) => span.traceId === producer.traceId));
    expect(embedServers.map((server) => server.parentSpanId).sort()).toEqual(embedClients.map((client) => client.spanId).sort());

    const write = only(spans, 'ingestion', 'ingestion write products', 'internal');
    expect(write.parentSpanId).toBe(consumer.spanId);
    const upsertClient = only(spans, 'ingestion', UPSERT, 'client');
    expect(upsertClient.parentSpanId).toBe(write.spanId);
    const upsertServer = only(spans, 'search', UPSERT, 'server');
    expect(upsertServer.parentSpanId).toBe(upsertClient.spanId);
    expect(spans.filter((span) => span.status === 'error')).toEqual([]);
  });

  it('follows one search request from the query API to the embedder and search', async () => {
    const caller = upstreamSpan();
    const response = await fetch(`${queryApiUrl}/v1/search?q=${encodeURIComponent('a red dress for summer')}`, {
      headers: { traceparent: caller.traceparent },
    });
    expect(response.status).toBe(200);

    const spans = await traceWith(caller.traceId, [
      ['query-api', 'GET /v1/search'],
      ['embedder', EMBED_TEXTS],
      ['search', SEARCH],
    ]);
    const request = only(spans, 'query-api', 'GET /v1/search', 'server');
    expect(request.parentSpanId).toBe(caller.spanId);
    expect(request.attributes).toMatchObject({ 'http.route': '/v1/search', 'http.response.status_code': 200 });

    const embedClient = only(spans, 'query-api', EMBED_TEXTS, 'client');
    expect(embedClient.parentSpanId).toBe(request.spanId);
    expect(only(spans, 'embedder', EMBED_TEXTS, 'server').parentSpanId).toBe(embedClient.spanId);

    const searchClient = only(spans, 'query-api', SEARCH, 'client');
    expect(searchClient.parentSpanId).toBe(request.spanId);
    expect(only(spans, 'search', SEARCH, 'server').parentSpanId).toBe(searchClient.spanId);
  });
});
