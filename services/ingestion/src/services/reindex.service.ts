/**
 * Reindex jobs from `catalog.reindex.v1`, in two kinds:
 *
 * - Whole catalog (no filter): zero-downtime rebuild (DESIGN.md principle 5). Create the next
 *   collection generation, replay `catalog.products.v1` from its beginning up to the end offsets
 *   at the job start into it (live events meanwhile go to both generations, see
 *   CollectionRegistry), swap the `products` alias atomically and drop the old generation.
 * - Filtered (`filter.categories`): refresh in place. The matching products are re-fetched and
 *   re-embedded into the current write targets (the alias, plus a generation a rebuild is
 *   filling), with the same versions; no generation is created and the alias stays. A rebuild
 *   would not do here: its new generation would hold only the matching products, and swapping
 *   the alias to it would take every other product out of search. The replay bypasses the
 *   shortcuts of live handling (the embedding cache, "stored version ≥ event version → skip",
 *   attribute-only updates), since refreshing vectors is the point; search re-applies an upsert
 *   of the stored version, and a newer stored version wins over the replayed event as always.
 *
 * Both report progress as events replayed (done) out of the topic's end offsets at the start
 * (total), in memory, served at GET /internal/reindex/:jobId. Jobs run one at a time on a replica
 * (a request arriving while a job, or a self-heal, runs is queued behind it): two rebuilds at
 * once would fill two generations and the later swap would drop the other's writes.
 */
import { DependencyUnavailableError, type ReindexJob, type ReindexRequested } from '@vsearch/contracts';
import type { ConsumedEvent, EventLog } from '@vsearch/event-log';
import type { Logger } from '@vsearch/observability';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import { CollectionDamagedError, PRODUCTS_ALIAS, type EmbedderModel, type ProductIndexWriter } from '../ports';
import type { CatalogEventHandler, EventResult } from './catalog-event.handler';
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

/** How a job runs beyond its request. */
export interface ReindexRunOptions {
  /**
   * Rebuild into this generation, already created by the caller, instead of creating the next one
   * (the self-heal creates it by name, so two replicas healing at once cannot both start a rebuild).
   */
  into?: string;
}

export class ReindexService {
  private readonly jobs = new Map<string, ReindexJob>();
  private readonly abort = new AbortController();
  /** The job running now and those queued behind it, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly index: ProductIndexWriter,
    private readonly eventLog: EventLog,
    private readonly handler: CatalogEventHandler,
    private readonly registry: CollectionRegistry,
    private readonly model: () => EmbedderModel | undefined,
    private readonly metrics: IngestionMetrics,
    private readonly settings: ReindexSettings,
    private readonly logger: Logger,
    /** A model the embedder has loaded, by id (ModelTracker.byId): what a rollout reindex (`modelId`) fills its generation with. */
    private readonly loadedModel: (modelId: string) => EmbedderModel | undefined = () => undefined,
  ) {}

  getJob(jobId: string): ReindexJob | undefined {
    const job = this.jobs.get(jobId);
    return job ? { ...job } : undefined;
  }

  /** Marks a request seen (state queued) before it runs, so progress can be asked for at once. */
  enqueue(request: ReindexRequested): void {
    if (!this.jobs.has(request.jobId)) this.jobs.set(request.jobId, { jobId: request.jobId, state: 'queued', total: 0, done: 0, collection: '' });
  }

  /** The job running now on this replica (state running or swapping), if any. */
  activeJob(): ReindexJob | undefined {
    const active = [...this.jobs.values()].find((job) => job.state === 'running' || job.state === 'swapping');
    return active ? { ...active } : undefined;
  }

  /** Runs one job to its end (done or failed), after the jobs before it; a job id already finished here is not run again. */
  run(request: ReindexRequested, options: ReindexRunOptions = {}): Promise<ReindexJob> {
    this.enqueue(request);
    const turn = this.queue.then(() => this.runNow(request, options));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async runNow(request: ReindexRequested, options: ReindexRunOptions): Promise<ReindexJob> {
    const job = this.jobs.get(request.jobId)!;
    if (job.state !== 'queued') return { ...job };
    job.state = 'running';
    job.startedAt = new Date().toISOString();
    const log = this.logger.child({ jobId: job.jobId });
    log.info({ filter: request.filter, reason: request.reason }, 'reindex started');
    try {
      const model = this.generationModel(request);
      const categories = request.filter?.categories;
      if (categories?.length) await this.refreshInPlace(job, categories, log);
      else await this.rebuild(job, model, log, options.into);
      job.state = 'done';
      job.finishedAt = new Date().toISOString();
    } catch (error) {
      job.state = 'failed';
      job.error = (error as Error).message;
      job.finishedAt = new Date().toISOString();
      log.error({ err: error }, 'reindex failed');
    }
    return { ...job };
  }

  /**
   * The model a new generation is filled with: the one the request names (a model rollout: it must
   * be loaded on the embedder, beside the default), else the embedder's default model.
   */
  private generationModel(request: ReindexRequested): EmbedderModel {
    const model = this.model();
    if (!model) throw new DependencyUnavailableError('embedder', 'model info not known');
    if (!request.modelId || request.modelId === model.modelId) return model;
    const rollout = this.loadedModel(request.modelId);
    if (!rollout)
      throw new Error(
        `model ${request.modelId} is not loaded on the embedder (it serves ${model.modelId}); load it beside the default with ROLLOUT_MODEL_DIR first`,
      );
    return rollout;
  }

  /** A whole-catalog reindex: a new generation filled from the topic, then the alias swap. */
  private async rebuild(job: ReindexJob, model: EmbedderModel, log: Logger, into: string | undefined): Promise<void> {
    job.collection = into ?? (await this.withRetries(() => this.index.createCollection(model.modelId, model.dimension)));
    job.modelId = model.modelId;
    this.registry.addReindexTarget(job.collection, model);
    try {
      log.info({ collection: job.collection, modelId: model.modelId }, 'new generation created; live writes go to both');
      await sleep(this.settings.settleMs, this.abort.signal);
      await this.replayProducts(job, (chunk) => this.handler.handleChunk(chunk, [job.collection], { replay: true }));
      job.state = 'swapping';
      job.previousCollection = await this.withRetries(() => this.index.swapAlias(PRODUCTS_ALIAS, job.collection));
    } catch (error) {
      this.registry.removeReindexTarget(job.collection);
      // Left in place, the unfinished generation would keep receiving live writes.
      await this.index.dropCollection(job.collection).catch(() => undefined);
      throw error;
    }
    const previous = job.previousCollection;
    this.registry.removeReindexTarget(job.collection);
    const served = this.model();
    if (served) await this.registry.refresh(served).catch(() => undefined);
    if (previous && previous !== job.collection) {
      await this.withRetries(() => this.index.dropCollection(previous)).catch((error: unknown) =>
        log.warn({ err: error, collection: previous }, 'old generation could not be dropped; drop it by hand'),
      );
    }
    log.info({ collection: job.collection, previousCollection: previous, products: job.total }, 'reindex done; alias swapped');
  }

  /** A filtered reindex: the matching products re-embedded in the collections live writes go to. */
  private async refreshInPlace(job: ReindexJob, categories: readonly string[], log: Logger): Promise<void> {
    job.collection = this.registry.current.aliasCollection?.name ?? PRODUCTS_ALIAS;
    log.info({ collection: job.collection, categories }, 'filtered reindex: refreshing the matching products in place (no new generation, no alias swap)');
    let refreshed = 0;
    await this.replayProducts(job, async (chunk) => {
      // The targets are read per chunk, as for live events: a rebuild starting meanwhile gets the refreshed vectors too.
      const results = await this.handler.handleChunk(chunk, this.registry.current.targets, { replay: true, categories, refresh: true });
      refreshed += results.filter((result) => result.outcome === 'indexed' || result.outcome === 'indexed_partial').length;
      return results;
    });
    log.info({ collection: job.collection, refreshed, events: job.total }, 'filtered reindex done');
  }

  /** Replays the products topic up to its end offsets at this moment, chunk by chunk, counting progress. */
  private async replayProducts(job: ReindexJob, handleChunk: (chunk: ConsumedEvent[]) => Promise<EventResult[]>): Promise<void> {
    const ends = await this.withRetries(() => this.eventLog.endOffsets(this.settings.productsTopic));
    job.total = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
    this.progress(job);
    await this.eventLog.replayTopic(
      this.settings.productsTopic,
      async (batch) => {
        for (const chunk of chunksOf(batch.messages, this.settings.eventsPerChunk)) {
          await this.withRetries(() => handleChunk(chunk));
          job.done += chunk.length;
          this.progress(job);
        }
      },
      { signal: this.abort.signal },
    );
    // Compaction may have removed records below the end offsets: the replay read everything there is.
    job.done = job.total;
    this.progress(job);
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
        // A damaged collection is an outage live writes wait out, but not a job: it would wait while
        // the self-heal waits for it. The job fails; a heal (or the operator) rebuilds instead.
        if (!(error instanceof DependencyUnavailableError) || error instanceof CollectionDamagedError || this.abort.signal.aborted) throw error;
        const delay = backoffDelay(attempt, this.settings.retryBaseMs, this.settings.retryMaxMs);
        this.logger.warn({ err: error, delayMs: delay }, 'reindex waiting for a dependency');
        await sleep(delay, this.abort.signal);
        if (this.abort.signal.aborted) throw new Error('reindex interrupted by shutdown');
      }
    }
  }
}
