// Adapters over the services' gRPC APIs: callers see intent-named methods, never transport.
export * from './embedder.client';
export * from './search.client';
export * from './describer.client';
// The one mapping of each gRPC contract to the platform's vocabulary, shared by clients and servers.
export * as searchCodec from './search.codec';
export * as embedderCodec from './embedder.codec';
export * as describerCodec from './describer.codec';
