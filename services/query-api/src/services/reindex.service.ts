/** Merchandisers' reindex jobs: publish a request to catalog.reindex.v1, read progress from ingestion. */
import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError, reindexRequestedSchema, type ReindexRequested } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { ReindexBody } from '../dtos/reindex.dto';
import { ReindexProgressSource, ReindexRequestPublisher, type ReindexJob, type RequestContext } from '../ports';
import { QUERY_API_LOGGER } from '../tokens';

@Injectable()
export class ReindexService {
  constructor(
    private readonly publisher: ReindexRequestPublisher,
    private readonly progress: ReindexProgressSource,
    @Inject(QUERY_API_LOGGER) private readonly logger: Logger,
  ) {}

  async requestReindex(body: ReindexBody, requestedBy: string, context: RequestContext): Promise<{ jobId: string }> {
    const request: ReindexRequested = reindexRequestedSchema.parse({
      type: 'reindex.requested',
      jobId: newJobId(),
      ...(body.categories ? { filter: { categories: body.categories } } : {}),
      ...(body.reason ? { reason: body.reason } : {}),
      requestedAt: new Date().toISOString(),
    });
    await this.publisher.publish(request, context);
    this.logger.info({ requestId: context.requestId, jobId: request.jobId, requestedBy, filter: request.filter }, 'reindex requested');
    return { jobId: request.jobId };
  }

  async jobProgress(jobId: string, context: RequestContext): Promise<ReindexJob> {
    const job = await this.progress.getJob(jobId, context);
    if (!job) throw new NotFoundError('job_not_found', `no reindex job ${jobId}`);
    return job;
  }
}

/** Sortable by time, unique enough: `rx-<base36 ms>-<8 hex>`. */
function newJobId(): string {
  return `rx-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
