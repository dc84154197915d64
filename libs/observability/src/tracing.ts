/**
 * OpenTelemetry traces: one tracer provider per process, exporting OTLP/HTTP (protobuf) when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, and W3C trace
 * context (`traceparent`, `tracestate`) carried in HTTP headers, gRPC metadata and Kafka headers.
 *
 * Spans are started by hand at our own boundaries (HTTP server, gRPC client and server, event
 * publish and consume, image fetch) rather than by auto-instrumentation: nothing has to be
 * loaded before the modules it patches (our services run through @swc-node/register and the
 * one-process mode starts four services in one process), and each span sits where we decide.
 * Without an endpoint no provider is registered: the API's no-op tracer makes every span
 * helper below a few property reads.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export { SpanKind, type Context, type Link, type Span } from '@opentelemetry/api';

/** Instrumentation scope of every span the platform starts itself. */
const TRACER_NAME = '@vsearch/observability';

export interface Tracing {
  /** True when spans are exported (an OTLP endpoint is configured). */
  readonly enabled: boolean;
  /** Exports the spans still queued and stops the provider (a no-op when disabled or not the owner). */
  shutdown(): Promise<void>;
}

let processTracing: { serviceName: string; shutdown: () => Promise<void> } | undefined;

/**
 * Starts tracing for this process, named `OTEL_SERVICE_NAME` or else `serviceName`. Call it
 * first in `main.ts`. Only the first call in a process registers a provider: in the one-process
 * mode (`vsearch start`) the CLI calls it once for all four services, and each service's later
 * call returns a handle whose `shutdown()` leaves the shared provider running.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  const url = otlpTracesUrl(env);
  if (!url || env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') {
    return { enabled: false, shutdown: async () => undefined };
  }
  if (processTracing) return { enabled: true, shutdown: async () => undefined };
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES (deployment environment, region, ...) with the service's name over them.
    resource: detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || serviceName })),
    // The exporter reads headers, timeout and compression from OTEL_EXPORTER_OTLP_*, the batch
    // processor its delays and sizes from OTEL_BSP_*, the sampler OTEL_TRACES_SAMPLER(_ARG).
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const owned = {
    serviceName,
    shutdown: async () => {
      processTracing = undefined;
      try {
        await provider.shutdown();
      } finally {
        // Unregistered, so a later start in this process (a stack started again) can register anew.
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
  processTracing = owned;
  return { enabled: true, shutdown: owned.shutdown };
}

/**
 * The OTLP/HTTP traces URL: the signal's own endpoint as given, or the base endpoint + `/v1/traces`
 * (as the spec says); throws, naming the variable, when it is not an http(s) URL.
 */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const) {
    const value = env[variable];
    if (!value) continue;
    if (!/^https?:\/\/[^/]/.test(value)) throw new Error(`${variable} must be an http(s) URL such as http://otel-collector:4318, got "${value}"`);
    return variable === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' ? value : `${value.replace(/\/+$/, '')}/v1/traces`;
  }
  return undefined;
}

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** Carrier access for a plain header record (Kafka headers, the embedded log's headers). */
const recordGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key] ?? carrier[key.toLowerCase()],
};
const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Adds the current trace context (`traceparent`, `tracestate`) to `headers`; returns them. */
export function injectTraceContext<T extends Record<string, string>>(headers: T, from: Context = context.active()): T {
  propagation.inject(from, headers, recordSetter);
  return headers;
}

/** The context a caller sent in `headers` (HTTP request headers, Kafka headers), or the root context. */
export function extractTraceContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, recordGetter);
}

/** The span context a caller sent in `headers` as a link, or nothing when they carry none. */
export function traceLinkFrom(headers: Record<string, string | string[] | undefined>): Link | undefined {
  const spanContext = trace.getSpanContext(extractTraceContext(headers));
  return spanContext && trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}

export interface SpanOptions {
  kind: SpanKind;
  attributes?: Attributes;
  /** The parent: the current context unless given (an extracted remote context, for server and consumer spans). */
  parent?: Context;
  links?: Link[];
}

/**
 * Runs `work` inside a new span (the active one while `work` runs): records a thrown error
 * and sets the span's status, ends the span when `work` settles.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind, attributes: options.attributes, links: options.links }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Starts a span the caller ends (for work whose end is an event, such as an HTTP response finishing). */
export function startSpan(name: string, options: SpanOptions): { span: Span; context: Context } {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind, attributes: options.attributes, links: options.links }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** False for the no-op span of an untraced process outside any trace: nothing to record or propagate. */
export function isTraced(span: Span): boolean {
  return span.isRecording() || trace.isSpanContextValid(span.spanContext());
}

/** Runs `work` with `ctx` as the active context (so spans started inside are its children). */
export function withContext<T>(ctx: Context, work: () => T): T {
  return context.with(ctx, work);
}

/** Marks a span failed with the error's class and message (never a stack or a request payload). */
export function recordFailure(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute('error.type', error instanceof Error ? error.constructor.name : typeof error);
}

/** The active span's ids for log lines, or nothing when no span is recording. */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** The active span's context as a link (to join work that serves several traces, such as one batched write). */
export function activeSpanLink(): Link | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}
