/**
 * Generated gRPC contracts (ts-proto, from proto/). The generated files are
 * never edited by hand: `npm run proto:generate` rewrites them and the test
 * command fails when they are stale.
 */
export * as embedderV1 from './generated/visualsearch/embedder/v1/embedder_service';
export * as describerV1 from './generated/visualsearch/describer/v1/describer_service';
export * as searchV1 from './generated/visualsearch/search/v1/search_service';

/** Root of the .proto sources, for proto-loader (reflection, NestJS transport, load tests). */
export const PROTO_ROOT = `${__dirname}/../../../proto`;
export const EMBEDDER_PROTO = 'visualsearch/embedder/v1/embedder_service.proto';
export const DESCRIBER_PROTO = 'visualsearch/describer/v1/describer_service.proto';
export const SEARCH_PROTO = 'visualsearch/search/v1/search_service.proto';
