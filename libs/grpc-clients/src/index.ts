// Adapters over the services' gRPC APIs: callers see intent-named methods, never transport.
export * from './embedder.client';
export * from './search.client';
