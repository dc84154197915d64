// Test-only helpers: imported by *.spec.ts, *.int-spec.ts and *.e2e-spec.ts files and benchmarks, never by production code.
export * from './processes';
export * from './benchmark-report';
export * from './delaying-proxy';
export * from './float-files';
export * from './stack/service-environment';
export * from './stack/service';
export * from './stack/stack';
export * from './stack/embedded-stack';
export * from './otlp-receiver';
export * from './test-inputs';
export * from './test-directories';
export * from './browser';
