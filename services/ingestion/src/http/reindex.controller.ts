/** Reindex progress for the admin API (query-api proxies GET /v1/admin/reindex/{id} here); a job this instance does not know is 404. */
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReindexService } from '../services/reindex.service';

@Controller('internal/reindex')
export class ReindexController {
  constructor(@Inject(ReindexService) private readonly reindex: ReindexService) {}

  @Get(':jobId')
  job(@Param('jobId') jobId: string, @Res() response: Response): void {
    const job = this.reindex.getJob(jobId);
    if (job) response.status(200).json(job);
    else response.status(404).json({ error: { code: 'not_found', message: `no reindex job ${jobId} on this ingestion instance` } });
  }
}
