/**
 * The errors the query API answers with: every one maps to a status and a
 * JSON body `{"error":{"code","message"}}`. Client mistakes are 4xx with a
 * reason; a dependency that is down is 503 with Retry-After, never a bare 500.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, { 'WWW-Authenticate': 'ApiKey header="X-Api-Key"' });
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const payloadTooLarge = (message: string) => new ApiError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message: string) => new ApiError(415, 'unsupported_media_type', message);
export const unprocessable = (code: string, message: string) => new ApiError(422, code, message);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(429, 'rate_limited', `too many requests; retry after ${retryAfterSeconds} s`, { 'Retry-After': String(retryAfterSeconds) });

/** A dependency (embedder, search, ingestion, event log) cannot serve now; thrown by adapters. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: 'embedder' | 'search' | 'ingestion' | 'event-log',
    message: string,
  ) {
    super(`${dependency} unavailable: ${message}`);
    this.name = 'DependencyUnavailableError';
  }
}

/** The body every error response carries. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}
