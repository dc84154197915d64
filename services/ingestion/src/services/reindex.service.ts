/**
 * Zero-downtime reindex (DESIGN.md principle 5): a `catalog.reindex.v1` request creates the
 * next collection generation, replays `catalog.products.v1` from its beginning up to the end
 * offsets at the job start into it (live events meanwhile go to both generations, see
 * CollectionRegistry), swaps the `products` alias atomically and drops the old generation.
 * Progress lives in memory and is served at GET /internal/reindex/:jobId.
 */
import type { ReindexRequested } from '@vsearch/contracts';
import type { EventLog } from '@vsearch/event-log';
import type { ReindexJob } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import { DependencyUnavailableError, PRODUCTS_ALIAS, type EmbedderModel, type ProductIndex } from '../ports';
import type { CatalogEventHandler } from './catalog-event.handler';
import { chunksOf } from './catalog-event.handler';
import type { CollectionRegistry } from './collection-registry';
import { backoffDelay, sleep } from './concurrency';

export type { ReindexJob, ReindexJobState } from '@vsearch/contracts';

export interface ReindexSettings {
  productsTopic: string;
  /** Wait after creating the generation, so every replica's next collection refresh sees it before the replay boundary is taken. */
  settleMs: number;
  eventsPerChunk: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export class ReindexService {
  private readonly jobs = new Map<string, ReindexJob>();
  private readonly abort = new AbortController();

  constructor(
    private readonly index: ProductIndex,
    private readonly eventLog: EventLog,
    private readonly handler: CatalogEventHandler,
    private readonly registry: CollectionRegistry,
    private readonly model: () => EmbedderModel | undefined,
    private readonly metrics: IngestionMetrics,
    private readonly settings: ReindexSettings,
    private readonly logger: Logger,
  ) {}

  getJob(jobId: string): ReindexJob | undefined {
    const job = this.jobs.get(jobId);
    return job ? { ...job } : undefined;
  }

  /** Marks a request seen (state queued) before it runs, so progress can be asked for at once. */
  enqueue(request: ReindexRequested): void {
    if (!this.jobs.has(request.jobId)) this.jobs.set(request.jobId, { jobId: request.jobId, state: 'queued', total: 0, done: 0, collection: '' });
  }

  /** Runs one job to its end (done or failed); a job id already finished here is not run again. */
  async run(request: ReindexRequested): Promise<ReindexJob> {
    this.enqueue(request);
    const job = this.jobs.get(request.jobId)!;
    if (job.state !== 'queued') return { ...job };
    job.state = 'running';
    job.startedAt = new Date().toISOString();
    const log = this.logger.child({ jobId: job.jobId });
    log.info({ filter: request.filter, reason: request.reason }, 'reindex started');
    try {
      const model = this.model();
      if (!model) throw new DependencyUnavailableError('embedder', 'model info not known');
      job.collection = await this.withRetries(() => this.index.createCollection(model.modelId, model.dimension));
      this.registry.addReindexTarget(job.collection);
      log.info({ collection: job.collection, modelId: model.modelId }, 'new generation created; live writes go to both');
      await sleep(this.settings.settleMs, this.abort.signal);

      const ends = await this.withRetries(() => this.eventLog.endOffsets(this.settings.productsTopic));
      job.total = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
      this.progress(job);
      const categories = request.filter?.categories;
      await this.eventLog.replayTopic(
        this.settings.productsTopic,
        async (batch) => {
          for (const chunk of chunksOf(batch.messages, this.settings.eventsPerChunk)) {
            await this.withRetries(() => this.handler.handleChunk(chunk, [job.collection], { replay: true, categories }));
            job.done += chunk.length;
            this.progress(job);
          }
        },
        { signal: this.abort.signal },
      );
      // Compaction may have removed records below the end offsets: the replay read everything there is.
      job.done = job.total;
      this.progress(job);

      job.state = 'swapping';
      const previous = await this.withRetries(() => this.index.swapAlias(PRODUCTS_ALIAS, job.collection));
      job.previousCollection = previous;
      this.registry.removeReindexTarget(job.collection);
      await this.registry.refresh(model).catch(() => undefined);
      if (previous && previous !== job.collection) {
        await this.withRetries(() => this.index.dropCollection(previous)).catch((error: unknown) =>
          log.warn({ err: error, collection: previous }, 'old generation could not be dropped; drop it by hand'),
        );
      }
      job.state = 'done';
      job.finishedAt = new Date().toISOString();
      log.info({ collection: job.collection, previousCollection: previous, products: job.total }, 'reindex done; alias swapped');
    } catch (error) {
      job.state = 'failed';
      job.error = (error as Error).message;
      job.finishedAt = new Date().toISOString();
      log.error({ err: error }, 'reindex failed');
      if (job.collection) {
        this.registry.removeReindexTarget(job.collection);
        // Left in place, the unfinished generation would keep receiving live writes.
        await this.index.dropCollection(job.collection).catch(() => undefined);
      }
    }
    return { ...job };
  }

  /** Stops a running job (shutdown); it ends as failed and its request is consumed again after a restart. */
  stop(): void {
    this.abort.abort();
  }

  private progress(job: ReindexJob): void {
    this.metrics.reindexProgress.set({ job_id: job.jobId, kind: 'total' }, job.total);
    this.metrics.reindexProgress.set({ job_id: job.jobId, kind: 'done' }, job.done);
  }

  /** Retries through dependency outages (the job waits, it does not fail), until shutdown. */
  private async withRetries<T>(action: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await action();
      } catch (error) {
        if (!(error instanceof DependencyUnavailableError) || this.abort.signal.aborted) throw error;
        const delay = backoffDelay(attempt, this.settings.retryBaseMs, this.settings.retryMaxMs);
        this.logger.warn({ err: error, delayMs: delay }, 'reindex waiting for a dependency');
        await sleep(delay, this.abort.signal);
        if (this.abort.signal.aborted) throw new Error('reindex interrupted by shutdown');
      }
    }
  }
}
