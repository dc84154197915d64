export * from './collection-damaged.error';
export * from './image-embedder.port';
export * from './image-preprocessor.port';
export * from './image-source.port';
export * from './image-unavailable.error';
export * from './product-index-writer.port';
export * from './image-describer.port';
