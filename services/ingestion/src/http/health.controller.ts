/** Liveness and readiness probes: /readyz answers 503 naming the dependencies that are missing and the problems that stop writes. */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { IngestionRunner } from '../services/ingestion-runner';

@Controller()
export class HealthController {
  constructor(@Inject(IngestionRunner) private readonly runner: IngestionRunner) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  readyz(@Res() response: Response): void {
    const readiness = this.runner.readiness();
    response.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? 'ready' : 'not_ready', ...readiness });
  }
}
