/** Probes and metrics: `/healthz` (liveness), `/readyz` (dependencies), `/metrics` (Prometheus). */
import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { QueryApiMetrics } from '../../metrics/query-api.metrics';
import { ReadinessService, type Readiness } from '../../services/readiness.service';
import { readinessSchema } from '../dtos/responses.dto';
import { HttpSettings } from '../http-settings';
import { openApiSchema } from '../openapi';
import { SkipRateLimit } from '../rate-limit.guard';

@ApiTags('operations')
@SkipRateLimit()
@Controller()
export class HealthController {
  constructor(
    private readonly settings: HttpSettings,
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
  @ApiOkResponse({ schema: openApiSchema(readinessSchema) })
  @ApiServiceUnavailableResponse({ schema: openApiSchema(readinessSchema) })
  async ready(@Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const readiness = await this.readiness.check();
    if (readiness.status !== 'ready') {
      response.status(503).setHeader('Retry-After', String(this.settings.retryAfterSeconds));
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
