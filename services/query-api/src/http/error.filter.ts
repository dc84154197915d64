/** Every error a route throws becomes `{"error":{...}}` with the right status (see error-response.ts). */
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DependencyUnavailableError, OverloadedError } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { QueryApiMetrics } from '../metrics/query-api.metrics';
import { toErrorAnswer } from './error-response';

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(
    private readonly retryAfterSeconds: number,
    private readonly logger: Logger,
    private readonly metrics: QueryApiMetrics,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(error, http.getRequest<Request>(), http.getResponse<Response>(), this.retryAfterSeconds, this.logger);
    if (error instanceof DependencyUnavailableError) this.metrics.dependencyFailures.inc({ dependency: error.dependency });
    if (error instanceof OverloadedError) this.metrics.overloaded.inc();
  }
}

export function sendError(error: unknown, request: Request, response: Response, retryAfterSeconds: number, logger: Logger): void {
  const answer = toErrorAnswer(error, retryAfterSeconds, request.requestId);
  if (answer.unexpected) logger.error({ requestId: request.requestId, err: error, url: request.originalUrl.slice(0, 300) }, 'unexpected error');
  else if (error instanceof OverloadedError) logger.debug({ requestId: request.requestId, error: error.message }, 'overloaded');
  else if (answer.status >= 500) logger.warn({ requestId: request.requestId, error: (error as Error).message }, 'dependency unavailable');
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.status(answer.status).set(answer.headers).json(answer.body);
}
