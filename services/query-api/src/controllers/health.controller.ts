/** Probes and metrics: `/healthz` (liveness), `/readyz` (dependencies), `/metrics` (Prometheus). */
import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { QueryApiConfig } from '../config';
import { readinessSchema } from '../dtos/responses.dto';
import { SkipRateLimit } from '../http/guards';
import { QueryApiMetrics } from '../http/metrics';
import { openApiSchema } from '../http/openapi';
import { ReadinessService, type Readiness } from '../services/readiness.service';
import { QUERY_API_CONFIG } from '../tokens';

@ApiTags('operations')
@SkipRateLimit()
@Controller()
export class HealthController {
  constructor(
    @Inject(QUERY_API_CONFIG) private readonly config: QueryApiConfig,
    private readonly readiness: ReadinessService,
    private readonly metrics: QueryApiMetrics,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the embedder and search answer; `missing` names those that do not' })
  @ApiOkResponse({ schema: openApiSchema(readinessSchema) as never })
  @ApiServiceUnavailableResponse({ schema: openApiSchema(readinessSchema) as never })
  async ready(@Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const readiness = await this.readiness.check();
    if (readiness.status !== 'ready') {
      response.status(503).setHeader('Retry-After', String(this.config.upstream.retryAfterSeconds));
    }
    return readiness;
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Cache-Control', 'no-store')
  async prometheus(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
