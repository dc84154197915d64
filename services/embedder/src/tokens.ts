/** Nest injection tokens for values that are not classes. */
export const EMBEDDER_CONFIG = Symbol('EMBEDDER_CONFIG');
export const EMBEDDER_LOGGER = Symbol('EMBEDDER_LOGGER');
