import { Metadata } from '@grpc/grpc-js';
import { createTraceState, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { injectTraceContextIntoMetadata, rpcSpanAttributes, traceContextFromMetadata } from './tracing';

const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

describe('trace context in gRPC metadata', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it('writes traceparent and tracestate into the metadata and reads the same span context back as remote', () => {
    const caller = trace.setSpanContext(ROOT_CONTEXT, { ...CALLER, traceState: createTraceState('vendor=opaque') });
    const metadata = injectTraceContextIntoMetadata(new Metadata(), caller);
    expect(metadata.get('traceparent')).toEqual([`00-${CALLER.traceId}-${CALLER.spanId}-01`]);
    expect(metadata.get('tracestate')).toEqual(['vendor=opaque']);

    const received = trace.getSpanContext(traceContextFromMetadata(metadata));
    expect(received).toMatchObject({ ...CALLER, isRemote: true });
    expect(received?.traceState?.get('vendor')).toBe('opaque');
  });

  it('leaves the metadata alone outside a trace and reads a call without trace context as a new root', () => {
    const metadata = injectTraceContextIntoMetadata(new Metadata(), ROOT_CONTEXT);
    expect(metadata.getMap()).toEqual({});
    expect(trace.getSpanContext(traceContextFromMetadata(metadata))).toBeUndefined();
  });

  it('ignores a malformed traceparent instead of failing the call', () => {
    const metadata = new Metadata();
    metadata.set('traceparent', '00-not-a-trace-01');
    expect(trace.getSpanContext(traceContextFromMetadata(metadata))).toBeUndefined();
  });
});

describe(rpcSpanAttributes.name, () => {
  it('names the span after the full method and splits service and method into RPC attributes', () => {
    expect(rpcSpanAttributes('/visualsearch.search.v1.SearchService/Search')).toEqual({
      name: 'visualsearch.search.v1.SearchService/Search',
      attributes: { 'rpc.system': 'grpc', 'rpc.service': 'visualsearch.search.v1.SearchService', 'rpc.method': 'Search' },
    });
  });
});
