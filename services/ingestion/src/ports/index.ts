export * from './errors';
export * from './image-embedder.port';
export * from './image-source.port';
export * from './product-index.port';
