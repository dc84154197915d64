/**
 * An in-process OTLP/HTTP trace receiver for tests: accepts `POST /v1/traces` in protobuf (what
 * the services' exporter sends) and keeps every span with its service's name. The
 * protobuf messages are the subset of opentelemetry-proto's `trace.proto`, `common.proto` and
 * `resource.proto` the assertions need, with the official field numbers (fields not listed are
 * skipped by the decoder).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const OTLP_TRACE_SCHEMA = `
syntax = "proto3";
package opentelemetry.proto;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
}
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  SpanKind kind = 6;
  repeated KeyValue attributes = 9;
  repeated Link links = 13;
  Status status = 15;
  message Link { bytes trace_id = 1; bytes span_id = 2; }
  enum SpanKind {
    SPAN_KIND_UNSPECIFIED = 0; SPAN_KIND_INTERNAL = 1; SPAN_KIND_SERVER = 2;
    SPAN_KIND_CLIENT = 3; SPAN_KIND_PRODUCER = 4; SPAN_KIND_CONSUMER = 5;
  }
}
message Status { string message = 2; StatusCode code = 3; enum StatusCode { STATUS_CODE_UNSET = 0; STATUS_CODE_OK = 1; STATUS_CODE_ERROR = 2; } }
`;

const ExportTraceServiceRequest = protobuf.parse(OTLP_TRACE_SCHEMA, { keepCase: false }).root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

export type ReceivedSpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface ReceivedSpan {
  /** `service.name` of the resource that sent the span. */
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: ReceivedSpanKind;
  attributes: Record<string, string | number | boolean>;
  /** Span ids this span links to (`traceId/spanId`). */
  links: string[];
  status: 'unset' | 'ok' | 'error';
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the value of OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

interface DecodedKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number };
}
interface DecodedSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: string;
  attributes?: DecodedKeyValue[];
  links?: { traceId?: string; spanId?: string }[];
  status?: { code?: string };
}
interface DecodedRequest {
  resourceSpans?: { resource?: { attributes?: DecodedKeyValue[] }; scopeSpans?: { spans?: DecodedSpan[] }[] }[];
}

const KINDS: ReceivedSpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUSES: ReceivedSpan['status'][] = ['unset', 'ok', 'error'];

function attributesOf(keyValues: DecodedKeyValue[] = []): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of keyValues) {
    const scalar = value?.stringValue ?? value?.boolValue ?? value?.doubleValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
    if (scalar !== undefined) attributes[key] = scalar;
  }
  return attributes;
}

/** `SPAN_KIND_SERVER` → the index of `server` in `names` (0 when absent). */
function enumIndex(value: string | undefined, names: string[], prefix: string): number {
  return value === undefined ? 0 : Math.max(0, names.indexOf(value.replace(prefix, '').toLowerCase()));
}

/** Flattens one export request into spans, ids as lowercase hex as in `traceparent`. */
function spansOfExportRequest(request: DecodedRequest): ReceivedSpan[] {
  const id = (base64: string | undefined) => (base64 ? Buffer.from(base64, 'base64').toString('hex') : '');
  const received: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        received.push({
          service,
          traceId: id(span.traceId),
          spanId: id(span.spanId),
          parentSpanId: id(span.parentSpanId),
          name: span.name ?? '',
          kind: KINDS[enumIndex(span.kind, KINDS, 'SPAN_KIND_')] ?? 'unspecified',
          attributes: attributesOf(span.attributes),
          links: (span.links ?? []).map((link) => `${id(link.traceId)}/${id(link.spanId)}`),
          status: STATUSES[enumIndex(span.status?.code, STATUSES, 'STATUS_CODE_')] ?? 'unset',
        });
      }
    }
  }
  return received;
}

/** Decodes an OTLP/HTTP protobuf `ExportTraceServiceRequest` body. */
export function decodeOtlpTraceRequest(body: Uint8Array): ReceivedSpan[] {
  const message = ExportTraceServiceRequest.decode(body);
  const request = ExportTraceServiceRequest.toObject(message, { bytes: String, enums: String, longs: String, defaults: false }) as DecodedRequest;
  return spansOfExportRequest(request);
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    bodyOf(request)
      .then((body) => {
        received.push(...decodeOtlpTraceRequest(body));
        // An empty ExportTraceServiceResponse: everything accepted.
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      })
      .catch((error: unknown) => response.writeHead(400).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
