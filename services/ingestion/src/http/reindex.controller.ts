/** Reindex progress from the durable job store, for any job whichever replica runs it; a job the store does not know is 404. */
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { DependencyUnavailableError } from '@vsearch/contracts';
import type { Response } from 'express';
import { ReindexService } from '../services/reindex.service';

@Controller('internal/reindex')
export class ReindexController {
  constructor(@Inject(ReindexService) private readonly reindex: ReindexService) {}

  @Get(':jobId')
  async job(@Param('jobId') jobId: string, @Res() response: Response): Promise<void> {
    try {
      const job = await this.reindex.findJob(jobId);
      if (job) response.status(200).json(job);
      else response.status(404).json({ error: { code: 'not_found', message: `no reindex job ${jobId}` } });
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      response.status(503).json({ error: { code: 'unavailable', message: error.message } });
    }
  }
}
