/**
 * Per-request context: the request id (X-Request-Id in and out, carried to
 * gRPC metadata), a SERVER trace span (the child of the caller's `traceparent`,
 * active while the request is handled), access logs and per-route metrics, for
 * every response including static files and errors.
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import {
  extractTraceContext,
  isTraced,
  recordFailure,
  REQUEST_ID_HEADER,
  requestIdFrom,
  SpanKind,
  startSpan,
  withContext,
  type Logger,
} from '@vsearch/observability';
import type { RequestContext } from '../ports';
import type { QueryApiMetrics } from '../metrics/query-api.metrics';

declare module 'express-serve-static-core' {
  interface Request {
    requestId?: string;
    /** Set by the rate-limit guard: the bucket this request was counted in. */
    rateLimitClient?: string;
  }
}

/** Labels a route for metrics when no Nest route matched (static files, catalog images). */
export function routeLabel(label: string) {
  return (_request: Request, response: Response, next: NextFunction) => {
    response.locals.routeLabel = label;
    next();
  };
}

export function requestContextMiddleware(metrics: QueryApiMetrics, logger: Logger) {
  return (request: Request, response: Response, next: NextFunction) => {
    const requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    request.requestId = requestId;
    response.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    const trace = startSpan(request.method, {
      kind: SpanKind.SERVER,
      parent: extractTraceContext(request.headers),
      attributes: { 'http.request.method': request.method, 'url.path': request.path },
    });
    // 'close' also comes when the client goes away before the response is finished.
    if (isTraced(trace.span))
      response.once('close', () => {
        const route = routeOf(request, response);
        trace.span.updateName(`${request.method} ${route}`);
        trace.span.setAttributes({ 'http.route': route, 'http.response.status_code': response.statusCode });
        if (response.statusCode >= 500) recordFailure(trace.span, new Error(`HTTP ${response.statusCode}`));
        trace.span.end();
      });
    response.once('finish', () => {
      const route = routeOf(request, response);
      const labels = { method: request.method, route, status: String(response.statusCode) };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      if (route !== '/healthz' && route !== '/readyz' && route !== '/metrics') {
        logger.info({ requestId, ...labels, durationMs: Math.round(seconds * 10_000) / 10 }, 'request');
      }
    });
    withContext(trace.context, next);
  };
}

/** The route pattern that matched (`/v1/search`), a label set for unrouted paths, or `unmatched`. */
function routeOf(request: Request, response: Response): string {
  return request.route?.path ? `${request.baseUrl}${String(request.route.path)}` : ((response.locals.routeLabel as string | undefined) ?? 'unmatched');
}

/** `@Ctx() context: RequestContext` in a controller method. */
export const Ctx = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext => {
  const request = context.switchToHttp().getRequest<Request>();
  return { requestId: request.requestId ?? requestIdFrom(undefined), ...(request.rateLimitClient ? { rateLimitClient: request.rateLimitClient } : {}) };
});
