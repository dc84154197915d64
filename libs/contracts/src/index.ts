export * from './catalog-events';
export * from './reindex-requests';
export * from './parse';
export * from './product';
export * from './errors';
export * from './collections';
export * from './tagging';
export * from './describer';
