/**
 * Merchandisers' index generations: the list (from ingestion), a rollback (a `rollback.requested`
 * on catalog.reindex.v1, so ingestion runs it in turn with reindex jobs and records it as a job),
 * and the golden query set the gates check every new generation with.
 */
import {
  InvalidRequestError,
  parseGoldenQueriesJsonl,
  rollbackRequestedSchema,
  type GenerationInfo,
  type GoldenQuerySet,
  type RollbackRequested,
} from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { GenerationsSource, GoldenQueryStore, ReindexProgressSource, ReindexRequestPublisher, RequestContext } from '../ports';
import { newJobId, recordQueuedJob } from './reindex-admin.service';

export class GenerationsAdminService {
  constructor(
    private readonly generations: GenerationsSource,
    private readonly publisher: ReindexRequestPublisher,
    private readonly jobs: ReindexProgressSource,
    private readonly golden: GoldenQueryStore,
    private readonly logger: Logger,
  ) {}

  list(context: RequestContext): Promise<GenerationInfo[]> {
    return this.generations.list(context);
  }

  async requestRollback(order: { to?: string; reason?: string }, requestedBy: string, context: RequestContext): Promise<{ jobId: string }> {
    const request: RollbackRequested = rollbackRequestedSchema.parse({
      type: 'rollback.requested',
      jobId: newJobId('rb'),
      ...(order.to ? { to: order.to } : {}),
      ...(order.reason ? { reason: order.reason } : {}),
      requestedAt: new Date().toISOString(),
    });
    await this.publisher.publish(request, context);
    this.logger.info({ requestId: context.requestId, jobId: request.jobId, requestedBy, to: request.to, reason: request.reason }, 'rollback requested');
    await recordQueuedJob(this.jobs, { jobId: request.jobId, kind: 'rollback', updatedAt: request.requestedAt }, context, this.logger);
    return { jobId: request.jobId };
  }

  /** Validates a JSONL golden set (every bad line named) and stores it. */
  async setGoldenQueries(jsonl: string, requestedBy: string, context: RequestContext): Promise<GoldenQuerySet> {
    const parsed = parseGoldenQueriesJsonl(jsonl);
    if (!parsed.ok) throw new InvalidRequestError('invalid_golden_queries', `the golden query set is invalid: ${parsed.errors.join('; ')}`);
    const set: GoldenQuerySet = { queries: parsed.queries, updatedAt: new Date().toISOString() };
    await this.golden.put(set, context);
    this.logger.info({ requestId: context.requestId, requestedBy, queries: set.queries.length }, 'golden query set stored');
    return set;
  }

  goldenQueries(context: RequestContext): Promise<GoldenQuerySet | undefined> {
    return this.golden.get(context);
  }
}
