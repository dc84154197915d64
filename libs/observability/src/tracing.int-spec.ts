/**
 * real: the OpenTelemetry SDK with its OTLP/HTTP protobuf exporter, sending to an in-process OTLP
 * receiver (@vsearch/testing); pino writing to a stream. mock: nothing.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { startOtlpReceiver, type OtlpReceiver } from '@vsearch/testing';
import { activeTraceIds, extractTraceContext, injectTraceContext, inSpan, otlpTracesUrl, SpanKind, startTracing, type Tracing } from './tracing';

const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

describe(startTracing.name, () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });

  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  afterAll(() => receiver.close());

  it('registers nothing without an OTLP endpoint: spans do not record and log lines carry no trace id', async () => {
    tracing = startTracing('idle-service', {});
    expect(tracing.enabled).toBe(false);
    await inSpan('work', { kind: SpanKind.INTERNAL }, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(activeTraceIds()).toEqual({});
    });
  });

  it("exports a server span as the child of the caller's traceparent, propagates it onwards and puts its ids in log lines", async () => {
    tracing = startTracing('unit-service', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(tracing.enabled).toBe(true);
    // A second service in the same process shares the provider and cannot shut it down.
    const second = startTracing('second-service', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    await second.shutdown();

    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _encoding, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    // The mixin createLogger installs, on a logger whose lines the test can read.
    const logger = pino({ mixin: activeTraceIds }, sink);
    const incoming = { traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` };
    let outgoing: Record<string, string> = {};
    let spanId = '';
    await inSpan('GET /v1/search', { kind: SpanKind.SERVER, parent: extractTraceContext(incoming) }, async (span) => {
      spanId = span.spanContext().spanId;
      outgoing = injectTraceContext({});
      logger.info('inside');
    });
    logger.info('outside');
    await tracing.shutdown();

    expect(outgoing.traceparent).toBe(`00-${CALLER_TRACE_ID}-${spanId}-01`);
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'inside', trace_id: CALLER_TRACE_ID, span_id: spanId });
    expect(JSON.parse(lines[1])).not.toHaveProperty('trace_id');
    expect(receiver.spans()).toEqual([
      expect.objectContaining({
        service: 'unit-service',
        name: 'GET /v1/search',
        kind: 'server',
        traceId: CALLER_TRACE_ID,
        spanId,
        parentSpanId: CALLER_SPAN_ID,
      }),
    ]);
  });

  it('names the service OTEL_SERVICE_NAME when it is set', async () => {
    const before = receiver.spans().length;
    tracing = startTracing('default-name', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: 'renamed' });
    await inSpan('work', { kind: SpanKind.INTERNAL }, async () => undefined);
    await tracing.shutdown();
    expect(
      receiver
        .spans()
        .slice(before)
        .map((span) => span.service),
    ).toEqual(['renamed']);
  });
});

describe(otlpTracesUrl.name, () => {
  it("appends the traces path to the base endpoint, and takes the signal's own endpoint as given", () => {
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' })).toBe(
      'http://b:4318/traces',
    );
    expect(otlpTracesUrl({})).toBeUndefined();
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    expect(() => otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
  });
});
