/**
 * Trace context in event headers: publishing opens a PRODUCER span and writes its `traceparent`
 * / `tracestate` into each record that carries none yet (a dead letter or a replayed letter keeps
 * the original event's), and consuming opens one CONSUMER span per event, the child of the
 * producer's span when the event carries one, else a root span. The embedded file log stores
 * headers like Kafka, so both logs carry it.
 */
import {
  extractTraceContext,
  injectTraceContext,
  inSpan,
  recordFailure,
  SpanKind,
  startSpan,
  traceLinkFrom,
  withContext,
  type Context,
  type Link,
  type Span,
} from '@vsearch/observability';
import type { ConsumedEvent, EventRecord } from './event-log.port';

const TRACE_HEADERS = ['traceparent', 'tracestate'];

/** Runs `send` inside a PRODUCER span, with the records' headers carrying the trace context. */
export function publishTraced(
  system: 'kafka' | 'embedded',
  topic: string,
  records: EventRecord[],
  send: (records: EventRecord[]) => Promise<void>,
): Promise<void> {
  const attributes = { 'messaging.system': system, 'messaging.destination.name': topic, 'messaging.batch.message_count': records.length };
  return inSpan(`${topic} publish`, { kind: SpanKind.PRODUCER, attributes }, () =>
    send(
      records.map((record) =>
        record.headers && TRACE_HEADERS.some((name) => name in record.headers!) ? record : { ...record, headers: injectTraceContext({ ...record.headers }) },
      ),
    ),
  );
}

/**
 * One CONSUMER span per event of a chunk. `replay` (a reindex reading the topic again) makes
 * each span a child of the current context with a link to the producer's span, so an old
 * event's trace does not grow with every replay.
 */
export class ConsumedEventSpans {
  private readonly spans: Span[];
  private readonly contexts: Context[];

  private constructor(events: readonly ConsumedEvent[], replay: boolean) {
    const started = events.map((event) => {
      const producerLink = replay ? traceLinkFrom(event.headers) : undefined;
      return startSpan(`${event.topic} process`, {
        kind: SpanKind.CONSUMER,
        parent: replay ? undefined : extractTraceContext(event.headers),
        links: producerLink ? [producerLink] : undefined,
        attributes: {
          'messaging.destination.name': event.topic,
          'messaging.destination.partition.id': String(event.partition),
          'messaging.kafka.offset': Number(event.offset),
          'messaging.operation.type': 'process',
        },
      });
    });
    this.spans = started.map((item) => item.span);
    this.contexts = started.map((item) => item.context);
  }

  /** Runs `work` with the spans of `events` open; they end when it settles (failed when it throws). */
  static async around<T>(events: readonly ConsumedEvent[], options: { replay?: boolean }, work: (spans: ConsumedEventSpans) => Promise<T>): Promise<T> {
    const spans = new ConsumedEventSpans(events, options.replay ?? false);
    try {
      return await work(spans);
    } catch (error) {
      for (const span of spans.spans) recordFailure(span, error);
      throw error;
    } finally {
      for (const span of spans.spans) span.end();
    }
  }

  /** Runs `work` inside the span of event `index` (spans it starts, such as gRPC calls, are its children). */
  inEvent<T>(index: number, work: () => T): T {
    return withContext(this.contexts[index], work);
  }

  /**
   * Runs work done once for several events (one batched write) in a span that is the child of
   * the first event's span and links the others'.
   */
  forEvents<T>(indexes: readonly number[], name: string, work: () => Promise<T>): Promise<T> {
    const [first, ...others] = indexes;
    const links: Link[] = others.map((index) => ({ context: this.spans[index].spanContext() }));
    return inSpan(name, { kind: SpanKind.INTERNAL, parent: this.contexts[first], links, attributes: { 'vsearch.events': indexes.length } }, work);
  }
}
