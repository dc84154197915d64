/** Merchandisers' reindex jobs: publish a request to catalog.reindex.v1, read progress from ingestion. */
import { randomBytes } from 'node:crypto';
import { NotFoundError, reindexRequestedSchema, type ReindexJob, type ReindexRequested } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { ReindexProgressSource, ReindexRequestPublisher, RequestContext } from '../ports';

/** What a merchandiser asks for: the whole catalog, or only some categories refreshed in place. */
export interface ReindexOrder {
  categories?: string[];
  /** Why, for the audit log. */
  reason?: string;
  /** The model a whole-catalog reindex fills the new generation with (a model rollout); unset: the embedder's default. */
  modelId?: string;
}

export class ReindexAdminService {
  constructor(
    private readonly publisher: ReindexRequestPublisher,
    private readonly progress: ReindexProgressSource,
    private readonly logger: Logger,
  ) {}

  async requestReindex(order: ReindexOrder, requestedBy: string, context: RequestContext): Promise<{ jobId: string }> {
    const request: ReindexRequested = reindexRequestedSchema.parse({
      type: 'reindex.requested',
      jobId: newJobId(),
      ...(order.categories ? { filter: { categories: order.categories } } : {}),
      ...(order.reason ? { reason: order.reason } : {}),
      ...(order.modelId ? { modelId: order.modelId } : {}),
      requestedAt: new Date().toISOString(),
    });
    await this.publisher.publish(request, context);
    this.logger.info(
      { requestId: context.requestId, jobId: request.jobId, requestedBy, filter: request.filter, modelId: request.modelId },
      'reindex requested',
    );
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
