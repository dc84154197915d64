/** real: the OpenTelemetry SDK's provider with its in-memory exporter (no network). */
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { ConsumedEvent, EventRecord } from './event-log.port';
import { ConsumedEventSpans, publishTraced } from './trace-context';

const PRODUCER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
const OTHER = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
const traceparent = (ids: { traceId: string; spanId: string }) => `00-${ids.traceId}-${ids.spanId}-01`;

function consumed(offset: string, headers: Record<string, string>): ConsumedEvent {
  return { topic: 'catalog.products.v1', partition: 0, offset, key: `p-${offset}`, value: Buffer.from('{}'), headers, timestamp: 0 };
}

const activeSpanIds = () => {
  const span = trace.getSpanContext(context.active());
  return span && { traceId: span.traceId, spanId: span.spanId };
};

describe('trace context in event headers', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const finished = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);

  beforeAll(() => provider.register({ propagator: new W3CTraceContextPropagator() }));
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  describe(publishTraced.name, () => {
    it("opens a PRODUCER span in the caller's trace, writes it into records without trace context and keeps a record's own (a dead letter's)", async () => {
      const sent: EventRecord[] = [];
      const records: EventRecord[] = [
        { key: 'a', value: '{}' },
        { key: 'b', value: '{}', headers: { 'x-source': 'pim' } },
        { key: 'c', value: '{}', headers: { traceparent: traceparent(OTHER) } },
      ];
      await context.with(trace.setSpanContext(ROOT_CONTEXT, PRODUCER), () =>
        publishTraced('kafka', 'catalog.products.v1', records, async (traced) => void sent.push(...traced)),
      );
      const [producer] = finished('catalog.products.v1 publish');
      expect(producer.parentSpanContext?.spanId).toBe(PRODUCER.spanId);
      const written = traceparent({ traceId: PRODUCER.traceId, spanId: producer.spanContext().spanId });
      expect(sent.map((record) => record.headers)).toEqual([
        { traceparent: written },
        { 'x-source': 'pim', traceparent: written },
        { traceparent: traceparent(OTHER) },
      ]);
      expect(records[1].headers).toEqual({ 'x-source': 'pim' });
    });
  });

  describe(ConsumedEventSpans.name, () => {
    it("runs each event's work in a CONSUMER span, the child of its producer's span, or a root span when the event carries none", async () => {
      const events = [consumed('1', { traceparent: traceparent(PRODUCER) }), consumed('2', {})];
      const inside = await ConsumedEventSpans.around(events, {}, async (spans) => events.map((_event, i) => spans.inEvent(i, activeSpanIds)));
      const spans = finished('catalog.products.v1 process');
      expect(spans.map((span) => [span.spanContext().spanId, span.parentSpanContext?.spanId])).toEqual([
        [inside[0]!.spanId, PRODUCER.spanId],
        [inside[1]!.spanId, undefined],
      ]);
      expect(inside[0]!.traceId).toBe(PRODUCER.traceId);
      expect(inside[1]!.traceId).not.toBe(PRODUCER.traceId);
    });

    it("runs a batched write as the child of the first event's span, linking the other events' spans", async () => {
      const events = [consumed('1', { traceparent: traceparent(PRODUCER) }), consumed('2', { traceparent: traceparent(OTHER) })];
      await ConsumedEventSpans.around(events, {}, (spans) => spans.forEvents([0, 1], 'write products', async () => undefined));
      const [write] = finished('write products');
      const [first, second] = finished('catalog.products.v1 process');
      expect(write.parentSpanContext?.spanId).toBe(first.spanContext().spanId);
      expect(write.links.map((link) => link.context.spanId)).toEqual([second.spanContext().spanId]);
    });

    it("keeps a replayed event out of its producer's trace: the replay's context is the parent, the producer a link", async () => {
      const events = [consumed('1', { traceparent: traceparent(PRODUCER) })];
      await context.with(trace.setSpanContext(ROOT_CONTEXT, OTHER), () => ConsumedEventSpans.around(events, { replay: true }, async () => undefined));
      const [replayed] = finished('catalog.products.v1 process');
      expect(replayed.parentSpanContext?.spanId).toBe(OTHER.spanId);
      expect(replayed.links.map((link) => link.context.spanId)).toEqual([PRODUCER.spanId]);
    });

    it('marks every span of the chunk failed when the work throws, and passes the error on', async () => {
      await expect(ConsumedEventSpans.around([consumed('1', {})], {}, async () => Promise.reject(new Error('search is down')))).rejects.toThrow(
        'search is down',
      );
      expect(finished('catalog.products.v1 process').map((span) => span.status)).toEqual([{ code: 2, message: 'search is down' }]);
    });
  });
});
