/** Merchandisers' reindex jobs: publish a request to catalog.reindex.v1, read job state from the durable job store. */
import { randomBytes } from 'node:crypto';
import { NotFoundError, reindexRequestedSchema, type ReindexJob, type ReindexRequested } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { ReindexProgressSource, ReindexRequestPublisher, RequestContext } from '../ports';

/** What a merchandiser asks for: the whole catalog, or only some categories refreshed in place. */
export interface ReindexOrder {
  categories?: string[];
  /** Why, for the audit log. */
  reason?: string;
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
      requestedAt: new Date(this.now()).toISOString(),
    });
    await this.publisher.publish(request, context);
    this.logger.info({ requestId: context.requestId, jobId: request.jobId, requestedBy, filter: request.filter }, 'reindex requested');
    // Known at once (queued) rather than 404 until a replica reads the request; the request is published either way.
    await this.jobs
      .recordQueued({ jobId: request.jobId, state: 'queued', total: 0, done: 0, collection: '', updatedAt: request.requestedAt }, context)
      .catch((error: unknown) => this.logger.warn({ err: error, jobId: request.jobId }, 'queued reindex job not recorded; it appears once ingestion reads it'));
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
    const running = job.state === 'running' || job.state === 'gating' || job.state === 'swapping';
    const heartbeat = Date.parse(job.heartbeatAt ?? job.updatedAt ?? '');
    return running && Number.isFinite(heartbeat) && this.now() - heartbeat > this.settings.stalledAfterMs ? { ...job, stalled: true } : job;
  }
}

/** Sortable by time, unique enough: `rx-<base36 ms>-<8 hex>`. */
function newJobId(): string {
  return `rx-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
