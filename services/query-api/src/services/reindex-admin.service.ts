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
  /** Swap even if the new generation fails its gates, for this reason. */
  force?: { reason: string };
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
      ...(order.force ? { force: order.force } : {}),
      requestedAt: new Date().toISOString(),
    });
    await this.publisher.publish(request, context);
    this.logger.info(
      { requestId: context.requestId, jobId: request.jobId, requestedBy, filter: request.filter, modelId: request.modelId, force: request.force },
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

/** Sortable by time, unique enough: `<prefix>-<base36 ms>-<8 hex>`. */
export function newJobId(prefix = 'rx'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
