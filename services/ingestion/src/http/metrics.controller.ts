/** Prometheus exposition of the ingestion registry. */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Registry } from 'prom-client';

@Controller()
export class MetricsController {
  constructor(@Inject(Registry) private readonly registry: Registry) {}

  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    response
      .status(200)
      .type(this.registry.contentType)
      .send(await this.registry.metrics());
  }
}
