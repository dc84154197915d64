/** Dependency-injection tokens for values that are not classes. */
export const QUERY_API_CONFIG = Symbol('QUERY_API_CONFIG');
export const QUERY_API_LOGGER = Symbol('QUERY_API_LOGGER');
