/** Every error a route throws becomes `{"error":{...}}` with the right status (see error-response.ts). */
import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DependencyUnavailableError } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { QueryApiConfig } from '../config';
import { QUERY_API_CONFIG, QUERY_API_LOGGER } from '../tokens';
import { toErrorAnswer } from './error-response';
import { QueryApiMetrics } from './metrics';

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(
    @Inject(QUERY_API_CONFIG) private readonly config: QueryApiConfig,
    @Inject(QUERY_API_LOGGER) private readonly logger: Logger,
    private readonly metrics: QueryApiMetrics,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    sendError(error, request, response, this.config.upstream.retryAfterSeconds, this.logger);
    if (error instanceof DependencyUnavailableError) this.metrics.dependencyFailures.inc({ dependency: error.dependency });
  }
}

export function sendError(error: unknown, request: Request, response: Response, retryAfterSeconds: number, logger: Logger): void {
  const answer = toErrorAnswer(error, retryAfterSeconds, request.requestId);
  if (answer.unexpected) logger.error({ requestId: request.requestId, err: error, url: request.originalUrl.slice(0, 300) }, 'unexpected error');
  else if (answer.status >= 500) logger.warn({ requestId: request.requestId, error: (error as Error).message }, 'dependency unavailable');
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.status(answer.status).set(answer.headers).json(answer.body);
}
