export * from './errors';
export * from './address-policy';
export * from './image-sniff';
export * from './safe-image-fetcher';
