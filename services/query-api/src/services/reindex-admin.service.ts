/** Merchandisers' reindex jobs: publish a request to catalog.reindex.v1, read job state from the durable job store. */
import { randomBytes } from 'node:crypto';
import { isActiveReindexJob, NotFoundError, reindexRequestedSchema, type ReindexJob, type ReindexRequested } from '@vsearch/contracts';
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

/** A job as the admin API shows it: `stalled` when the replica running it has not given a sign of life for a while. */
export type ReindexJobView = ReindexJob & { stalled?: boolean };

export class ReindexAdminService {
  constructor(
    private readonly publisher: ReindexRequestPublisher,
    private readonly jobs: ReindexProgressSource,
    private readonly settings: { stalledAfterMs: number },
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async requestReindex(order: ReindexOrder, requestedBy: string, context: RequestContext): Promise<{ jobId: string }> {
    const request: ReindexRequested = reindexRequestedSchema.parse({
      type: 'reindex.requested',
      jobId: newJobId(),
      ...(order.categories ? { filter: { categories: order.categories } } : {}),
      ...(order.reason ? { reason: order.reason } : {}),
      ...(order.modelId ? { modelId: order.modelId } : {}),
      ...(order.force ? { force: order.force } : {}),
      requestedAt: new Date(this.now()).toISOString(),
    });
    await this.publisher.publish(request, context);
    this.logger.info(
      { requestId: context.requestId, jobId: request.jobId, requestedBy, filter: request.filter, modelId: request.modelId, force: request.force },
      'reindex requested',
    );
    await recordQueuedJob(
      this.jobs,
      { jobId: request.jobId, kind: request.filter?.categories?.length ? 'refresh' : 'rebuild', updatedAt: request.requestedAt },
      context,
      this.logger,
    );
    return { jobId: request.jobId };
  }

  async jobProgress(jobId: string, context: RequestContext): Promise<ReindexJobView> {
    const job = await this.jobs.getJob(jobId, context);
    if (!job) throw new NotFoundError('job_not_found', `no reindex job ${jobId}`);
    return this.withStalled(job);
  }

  /** Every job, newest first. */
  async listJobs(context: RequestContext): Promise<ReindexJobView[]> {
    return (await this.jobs.listJobs(context)).map((job) => this.withStalled(job));
  }

  private withStalled(job: ReindexJob): ReindexJobView {
    const running = isActiveReindexJob(job);
    const heartbeat = Date.parse(job.heartbeatAt ?? job.updatedAt ?? '');
    return running && Number.isFinite(heartbeat) && this.now() - heartbeat > this.settings.stalledAfterMs ? { ...job, stalled: true } : job;
  }
}

/**
 * Records a just-published job `queued`, so it is known at once rather than 404 until an ingestion
 * replica reads its request; the request is published either way, so a failure is only logged.
 */
export async function recordQueuedJob(
  jobs: ReindexProgressSource,
  job: Pick<ReindexJob, 'jobId' | 'kind' | 'updatedAt'>,
  context: RequestContext,
  logger: Logger,
): Promise<void> {
  await jobs
    .recordQueued({ ...job, state: 'queued', total: 0, done: 0, collection: '' }, context)
    .catch((error: unknown) => logger.warn({ err: error, jobId: job.jobId }, 'queued job not recorded; it appears once ingestion reads its request'));
}

/** Sortable by time, unique enough: `<prefix>-<base36 ms>-<8 hex>`. */
export function newJobId(prefix = 'rx'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
