/**
 * The one mapping from anything thrown to the HTTP answer, used by the Nest
 * exception filter and the Express error handler (body parser, static files):
 * `{"error":{"code","message","requestId"}}`. The platform errors logic throws
 * (@vsearch/contracts) and the shopper's image problems get their statuses
 * here; Nest's own HTTP exceptions (routing, auth guards, upload limits) keep
 * theirs. 4xx for client mistakes, 429 (the client's rate limit) and 503 (a
 * dependency down, or this pod decoding all it can) with Retry-After, 500 only
 * for our own bugs.
 */
import { HttpException } from '@nestjs/common';
import { DependencyUnavailableError, InvalidRequestError, NotFoundError, OverloadedError } from '@vsearch/contracts';
import { ImageInputError, type ImageInputProblem } from '../ports';
import { RateLimitedError } from '../services/rate-limited.error';

/** The body every error response carries. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
  /** True for our own bugs (logged with the stack). */
  unexpected: boolean;
}

const IMAGE_PROBLEMS: Record<ImageInputProblem, [number, string]> = {
  url_refused: [400, 'image_url_refused'],
  fetch_failed: [422, 'image_fetch_failed'],
  too_large: [413, 'payload_too_large'],
  unsupported_format: [415, 'unsupported_media_type'],
  undecodable: [422, 'image_undecodable'],
};

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  411: 'length_required',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
};

/** Errors of Express middleware (body-parser, serve-static) carry `status`/`statusCode` and `type`/`expose`. */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

export function toErrorAnswer(error: unknown, retryAfterSeconds: number, requestId?: string): ErrorAnswer {
  const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}, unexpected = false): ErrorAnswer => ({
    status,
    headers,
    body: { error: { code, message, ...(requestId ? { requestId } : {}) } },
    unexpected,
  });
  if (error instanceof InvalidRequestError) return answer(400, error.code, error.message);
  if (error instanceof NotFoundError) return answer(404, error.code, error.message);
  if (error instanceof ImageInputError) {
    const [status, code] = IMAGE_PROBLEMS[error.problem];
    return answer(status, code, error.message);
  }
  if (error instanceof RateLimitedError) {
    // The client sent too much: 429.
    return answer(429, 'rate_limited', error.message, { 'Retry-After': String(error.retryAfterSeconds) });
  }
  if (error instanceof OverloadedError) {
    // The server is full (every decode slot and the queue): 503, whoever sent the load.
    const seconds = error.retryAfterSeconds ?? retryAfterSeconds;
    return answer(503, 'overloaded', error.message, { 'Retry-After': String(seconds) });
  }
  if (error instanceof DependencyUnavailableError) {
    // The details (addresses, gRPC errors) go to the log, not to the client.
    return answer(503, 'dependency_unavailable', `the ${error.dependency} service is unavailable right now; retry in ${retryAfterSeconds} s`, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status >= 500) return answer(status, 'internal', 'internal error', {}, true);
    const response = error.getResponse();
    const message = typeof response === 'object' && response && 'message' in response ? [response.message].flat().join('; ') : error.message;
    return answer(status, STATUS_CODES[status] ?? 'client_error', status === 404 ? 'no such route' : String(message));
  }
  const httpish = (error ?? {}) as HttpishError;
  const status = httpish.status ?? httpish.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (httpish.type === 'entity.parse.failed') return answer(400, 'invalid_json', 'the body is not valid JSON');
    if (httpish.type === 'entity.too.large') return answer(413, 'payload_too_large', 'the body is larger than allowed');
    if (status === 403 || status === 404) return answer(404, 'not_found', 'not found');
    return answer(status, STATUS_CODES[status] ?? 'client_error', httpish.expose && httpish.message ? httpish.message : 'bad request');
  }
  return answer(500, 'internal', 'internal error', {}, true);
}
