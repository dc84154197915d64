// Test-only helpers: imported by *.spec.ts, *.int-spec.ts and *.e2e-spec.ts files, never by production code.
export * from './processes';
export * from './benchmark-report';
