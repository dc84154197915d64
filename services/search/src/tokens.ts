/** Nest injection tokens for values that are not classes. */
export const SEARCH_CONFIG = Symbol('SEARCH_CONFIG');
export const SEARCH_LOGGER = Symbol('SEARCH_LOGGER');
