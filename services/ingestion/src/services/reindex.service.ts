/**
 * Jobs from `catalog.reindex.v1`, in three kinds:
 *
 * - Whole catalog (no filter): zero-downtime rebuild (DESIGN.md principle 5). Create the next
 *   collection generation, replay `catalog.products.v1` from its beginning up to the end offsets
 *   at the job start into it (live events meanwhile go to both generations, see
 *   CollectionRegistry), check its gates (GenerationGates; state `gating`), swap the `products`
 *   alias atomically and retain the old generation for a rollback (GenerationSweeper drops it
 *   after retention). A failed gate keeps the live generation serving and the new one for
 *   inspection (rejected: no longer written); `force` swaps anyway; a self-heal records the report
 *   and swaps regardless.
 * - Filtered (`filter.categories`): refresh in place. The matching products are re-fetched and
 *   re-embedded into the current write targets (the alias, plus a generation a rebuild is
 *   filling), with the same versions; no generation is created and the alias stays. A rebuild
 *   would not do here: its new generation would hold only the matching products, and swapping
 *   the alias to it would take every other product out of search. The replay bypasses the
 *   shortcuts of live handling (the embedding cache, "stored version ≥ event version → skip",
 *   attribute-only updates), since refreshing vectors is the point; search re-applies an upsert
 *   of the stored version, and a newer stored version wins over the replayed event as always.
 * - Rollback (`rollback.requested`): the alias back to a retained generation (generation-history.ts
 *   says which may take it; its model must be loaded on the embedder). A retained generation may
 *   have missed writes (its model was not loaded meanwhile, or a replica had not refreshed its write
 *   targets around a swap), so the target is caught up from the catalog log first (state
 *   `catching-up`): every event replayed into the target only, with its model, through the live
 *   path's shortcuts (a stored version that is current is skipped: no fetch, no embedding; unchanged
 *   photos are asked for conditionally), deletes applied. A short second pass from where the first
 *   ended runs right before the swap, and a third right after it, so every event below its end
 *   offsets is in the target and every later one reaches it through the alias.
 *
 * Rebuilds and refreshes report progress as events replayed (done) out of the topic's end offsets
 * at the start (total). Every change of a job (rebuild, refresh, rollback; gate reports included)
 * is written to the durable job store (ReindexJobStore: state changes at once, progress at most
 * every `progressWriteMs`, a heartbeat every `heartbeatMs` with this replica's id), so any replica
 * and the query API read it, it outlives this process, and the generation history reads it.
 * Jobs run one at a time on a replica (a request arriving while a job, or a self-heal, runs is
 * queued behind it): two rebuilds at once would fill two generations and the later swap would
 * drop the other's writes.
 *
 * Across restarts: a job cut short by shutdown is recorded `queued` again and its request is not
 * committed, so it is consumed again (here after the restart, or by another replica). The replica
 * that picks it up reads the store first: a finished job is not run again (it ends once); one
 * another replica still runs (fresh heartbeat) is waited for; otherwise the interrupted run's
 * generation is dropped (or, when its swap had already happened, the job is recorded done) and
 * the job starts over.
 */
import {
  DependencyUnavailableError,
  isActiveReindexJob,
  isFinishedReindexJob,
  type CollectionInfo,
  type ReindexJob,
  type ReindexJobStore,
  type ReindexRequested,
  type ReindexTopicMessage,
  type RollbackRequested,
} from '@vsearch/contracts';
import type { ConsumedEvent, EventLog } from '@vsearch/event-log';
import type { Logger } from '@vsearch/observability';
import type { EventOutcome, IngestionMetrics } from '../metrics/ingestion.metrics';
import { CollectionDamagedError, PRODUCTS_ALIAS, type EmbedderModel, type ProductIndexWriter } from '../ports';
import type { CatalogEventHandler, EventResult } from './catalog-event.handler';
import { chunksOf } from './catalog-event.handler';
import { CatalogSample } from './catalog-sample';
import type { CollectionRegistry } from './collection-registry';
import { backoffDelay, sleep } from './concurrency';
import { describeFailedGates } from './gate-math';
import type { GenerationGates } from './generation-gates';
import { rollbackTarget, type GenerationHistory } from './generation-history';

export type { ReindexJob, ReindexJobState } from '@vsearch/contracts';

export interface ReindexSettings {
  productsTopic: string;
  /** Wait after creating the generation, so every replica's next collection refresh sees it before the replay boundary is taken. */
  settleMs: number;
  eventsPerChunk: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Products sampled from the catalog during a rebuild for the gates (GATE_CATALOG_SAMPLE). */
  catalogSample: number;
  /** This process, as the job store names the replica running a job. */
  replicaId: string;
  /** Progress is written to the job store at most this often per job (state changes at once). */
  progressWriteMs: number;
  /** A running job's record is rewritten this often, so readers see the replica is alive. */
  heartbeatMs: number;
  /** A job another replica runs whose heartbeat is older than this is taken over. */
  stalledAfterMs: number;
}

/** How a job runs beyond its request. */
export interface ReindexRunOptions {
  /**
   * Rebuild into this generation, already created by the caller, instead of creating the next one
   * (the self-heal creates it by name, so two replicas healing at once cannot both start a rebuild).
   */
  into?: string;
  /**
   * A self-heal: the live generation is damaged, so the new one swaps in even when it fails its
   * gates (the report is recorded), and the damaged one is dropped instead of retained.
   */
  heal?: boolean;
}

/** The new generation failed its gates: the live one keeps serving, the new one is kept for inspection. */
export class GatesFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatesFailedError';
  }
}

export class ReindexService {
  private readonly jobs = new Map<string, ReindexJob>();
  private readonly abort = new AbortController();
  /** The job running now and those queued behind it, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Job store writes, in order (a progress record never overtakes the final one). */
  private writes: Promise<unknown> = Promise.resolve();
  private readonly lastProgressWrite = new Map<string, number>();
  private storeWriteFailing = false;

  constructor(
    private readonly index: ProductIndexWriter,
    private readonly eventLog: EventLog,
    private readonly handler: CatalogEventHandler,
    private readonly registry: CollectionRegistry,
    private readonly model: () => EmbedderModel | undefined,
    private readonly metrics: IngestionMetrics,
    private readonly settings: ReindexSettings,
    private readonly logger: Logger,
    /** Every change of a job record goes here, so that job state outlives this process where the store is durable. */
    private readonly jobStore: ReindexJobStore,
    /** Which generation is which (retained, rejected): rollback targets and the live generation's recorded gate report. */
    private readonly history: GenerationHistory,
    /** The swap gates; undefined when GATES_ENABLED is off (a rebuild swaps once filled). */
    private readonly gates: GenerationGates | undefined,
    /** A model the embedder has loaded, by id (ModelTracker.byId): what a rollout reindex (`modelId`) fills its generation with. */
    private readonly loadedModel: (modelId: string) => EmbedderModel | undefined = () => undefined,
  ) {}

  /** A job this replica has seen (its own view, without the store). */
  getJob(jobId: string): ReindexJob | undefined {
    const job = this.jobs.get(jobId);
    return job ? { ...job } : undefined;
  }

  /** A job as the store records it, whichever replica ran it; throws DependencyUnavailableError while the store cannot answer. */
  findJob(jobId: string): Promise<ReindexJob | undefined> {
    return this.jobStore.get(jobId);
  }

  /** Marks a request seen (state queued) before it runs, so progress can be asked for at once. */
  enqueue(request: ReindexTopicMessage): void {
    if (this.jobs.has(request.jobId)) return;
    const job: ReindexJob = { jobId: request.jobId, state: 'queued', total: 0, done: 0, collection: '', kind: kindOf(request) };
    this.jobs.set(request.jobId, job);
    // Recorded only where the store knows nothing newer (a job consumed again may have ended already).
    void this.writeJob(job, { unlessRecorded: true });
  }

  /** The job running now on this replica (state running, catching-up, gating or swapping), if any. */
  activeJob(): ReindexJob | undefined {
    const active = [...this.jobs.values()].find(isActiveReindexJob);
    return active ? { ...active } : undefined;
  }

  /** Runs one job to its end (done or failed), after the jobs before it; a job id already finished here is not run again. */
  run(request: ReindexTopicMessage, options: ReindexRunOptions = {}): Promise<ReindexJob> {
    this.enqueue(request);
    const turn = this.queue.then(() => this.runNow(request, options));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async runNow(request: ReindexTopicMessage, options: ReindexRunOptions): Promise<ReindexJob> {
    const job = this.jobs.get(request.jobId)!;
    if (job.state !== 'queued') return { ...job };
    const log = this.logger.child({ jobId: job.jobId });
    let recorded: ReindexJob | undefined;
    try {
      recorded = await this.settledRecord(job.jobId, log);
    } catch (error) {
      // Only shutdown ends the wait: the job stays as recorded (by the replica running it), and its request is consumed again.
      log.warn({ err: error }, 'reindex not started: shutting down');
      return { ...job };
    }
    if (recorded && isFinishedReindexJob(recorded)) {
      // Consumed again after it ended (its request's commit was lost): it ends once.
      log.info({ state: recorded.state }, 'reindex job already finished; not run again');
      Object.assign(job, recorded);
      return { ...job };
    }
    job.state = 'running';
    job.startedAt = new Date().toISOString();
    job.error = undefined;
    job.replicaId = this.settings.replicaId;
    await this.writeJob(job);
    const heartbeat = setInterval(() => void this.writeJob(job), this.settings.heartbeatMs);
    log.info(
      {
        kind: job.kind,
        ...(request.type === 'reindex.requested' ? { filter: request.filter, force: request.force } : { to: request.to }),
        reason: request.reason,
        interrupted: recorded?.collection || undefined,
      },
      `${job.kind} started`,
    );
    try {
      if (request.type === 'rollback.requested') await this.rollBack(job, request, recorded, log);
      else if (request.filter?.categories?.length) await this.refreshInPlace(job, request.filter.categories, log);
      else if (recorded && (await this.finishInterruptedRebuild(job, recorded, options.into, log))) return { ...job };
      else await this.rebuild(job, request, this.generationModel(request), log, options);
      job.state = 'done';
    } catch (error) {
      if (this.abort.signal.aborted) {
        // Shutdown, not a failure: the request is consumed again and the job starts over (here or on another replica).
        Object.assign(job, { state: 'queued', replicaId: undefined, heartbeatAt: undefined });
        log.warn({ collection: job.collection }, 'reindex interrupted by shutdown; it runs again when its request is consumed again');
        clearInterval(heartbeat);
        await this.writeJob(job).catch(() => undefined);
        return { ...job };
      }
      job.state = 'failed';
      job.error = (error as Error).message;
      if (error instanceof GatesFailedError) log.error({ gates: job.gates }, error.message);
      else log.error({ err: error }, `${job.kind} failed`);
    } finally {
      clearInterval(heartbeat);
    }
    // A swap records `done` itself, before the write targets are read again.
    if (!job.finishedAt) {
      job.finishedAt = new Date().toISOString();
      job.heartbeatAt = undefined;
      await this.writeFinalRecord(job, log);
    }
    // A rejected generation leaves the write targets at once (the history now names it rejected).
    if (job.state === 'failed' && job.gates) await this.refreshTargets();
    return { ...job };
  }

  /**
   * The job's record once no other replica is running it: undefined when unknown, a finished one
   * as it is, else the record of a run that stopped (its heartbeat older than `stalledAfterMs`,
   * or recorded `queued` at its shutdown).
   */
  private async settledRecord(jobId: string, log: Logger): Promise<ReindexJob | undefined> {
    for (let waitingLogged = false; ;) {
      const recorded = await this.withRetries(() => this.jobStore.get(jobId));
      if (!recorded || isFinishedReindexJob(recorded) || !this.isRunningElsewhere(recorded)) return recorded;
      if (!waitingLogged) log.info({ replicaId: recorded.replicaId, heartbeatAt: recorded.heartbeatAt }, 'reindex job runs on another replica; waiting');
      waitingLogged = true;
      await sleep(this.settings.heartbeatMs, this.abort.signal);
      if (this.abort.signal.aborted) throw new Error('reindex interrupted by shutdown');
    }
  }

  private isRunningElsewhere(job: ReindexJob): boolean {
    if (job.state === 'queued' || !job.replicaId || job.replicaId === this.settings.replicaId) return false;
    const heartbeat = Date.parse(job.heartbeatAt ?? job.updatedAt ?? '');
    return Number.isFinite(heartbeat) && Date.now() - heartbeat < this.settings.stalledAfterMs;
  }

  /**
   * A rebuild that stopped before it ended: when its swap happened, the job is done (true); else
   * its half-filled generation is dropped (it would keep receiving live writes) and the caller
   * starts over (false).
   */
  private async finishInterruptedRebuild(job: ReindexJob, recorded: ReindexJob, into: string | undefined, log: Logger): Promise<boolean> {
    const abandoned = recorded.collection;
    if (!abandoned || abandoned === into) return false;
    const found = (await this.withRetries(() => this.index.listCollections())).find((collection) => collection.name === abandoned);
    if (!found) return false;
    if (found.aliases.includes(PRODUCTS_ALIAS)) {
      Object.assign(job, {
        state: 'done',
        collection: abandoned,
        previousCollection: recorded.previousCollection,
        total: recorded.total,
        done: recorded.total,
      });
      job.finishedAt = new Date().toISOString();
      job.heartbeatAt = undefined;
      log.info({ collection: abandoned }, 'interrupted reindex had already swapped the alias; recorded done');
      await this.writeFinalRecord(job, log);
      return true;
    }
    this.registry.removeReindexTarget(abandoned);
    await this.withRetries(() => this.index.dropCollection(abandoned)).catch((error: unknown) =>
      log.warn({ err: error, collection: abandoned }, 'generation of the interrupted run could not be dropped; drop it by hand'),
    );
    log.info({ collection: abandoned, replicaId: recorded.replicaId }, 'dropped the generation of the interrupted run; starting over');
    return false;
  }

  /**
   * Records the job in the store, after the writes before it. Failures are logged, not thrown:
   * the job goes on, and the next write (a heartbeat) records it again.
   */
  private writeJob(job: ReindexJob, options: { unlessRecorded?: boolean } = {}): Promise<void> {
    const now = new Date().toISOString();
    const record: ReindexJob = {
      ...job,
      updatedAt: now,
      ...(isActiveReindexJob(job) ? { heartbeatAt: now } : {}),
    };
    const write = this.writes.then(async () => {
      if (options.unlessRecorded && (await this.jobStore.get(job.jobId))) return;
      await this.jobStore.put(record);
      if (this.storeWriteFailing) this.logger.info({ jobId: job.jobId }, 'reindex job store writable again');
      this.storeWriteFailing = false;
    });
    this.writes = write.catch((error: unknown) => {
      if (!this.storeWriteFailing)
        this.logger.warn({ err: error, jobId: job.jobId }, 'reindex job state not written to the job store; retrying with the next change');
      this.storeWriteFailing = true;
    });
    return this.writes.then(() => undefined);
  }

  /** The final record must reach the store: retried through an outage (until shutdown). */
  private async writeFinalRecord(job: ReindexJob, log: Logger): Promise<void> {
    this.lastProgressWrite.delete(job.jobId);
    await this.writes;
    await this.withRetries(() => this.jobStore.put({ ...job, updatedAt: new Date().toISOString() })).catch((error: unknown) =>
      log.error({ err: error, state: job.state }, 'final reindex job state not written to the job store'),
    );
  }

  /**
   * The model a new generation is filled with: the one the request names (a model rollout: it must
   * be loaded on the embedder, beside the default), else the embedder's default model.
   */
  private generationModel(request: ReindexRequested): EmbedderModel {
    const model = this.defaultModel();
    if (!request.modelId) return model;
    const rollout = this.loadedModelById(request.modelId);
    if (!rollout)
      throw new Error(
        `model ${request.modelId} is not loaded on the embedder (it serves ${model.modelId}); load it beside the default with ROLLOUT_MODEL_DIR first`,
      );
    return rollout;
  }

  /** The embedder's default model; throws DependencyUnavailableError until the embedder first answered. */
  private defaultModel(): EmbedderModel {
    const model = this.model();
    if (!model) throw new DependencyUnavailableError('embedder', 'model info not known');
    return model;
  }

  /** A model the embedder has loaded (the default or one beside it), by id. */
  private loadedModelById(modelId: string): EmbedderModel | undefined {
    const model = this.defaultModel();
    return modelId === model.modelId ? model : this.loadedModel(modelId);
  }

  /**
   * A whole-catalog reindex: a new generation filled from the topic, its gates, then the alias
   * swap. The generation that served before is retained (the sweeper drops it after retention);
   * a failed gate keeps the new generation for inspection and leaves the alias where it was.
   */
  private async rebuild(job: ReindexJob, request: ReindexRequested, model: EmbedderModel, log: Logger, options: ReindexRunOptions): Promise<void> {
    job.modelId = model.modelId;
    job.collection = options.into ?? (await this.withRetries(() => this.index.createCollection(model.modelId, model.dimension)));
    this.registry.addReindexTarget(job.collection, model);
    const sample = new CatalogSample(this.gates ? this.settings.catalogSample : 0);
    let live: CollectionInfo | undefined;
    try {
      log.info({ collection: job.collection, modelId: model.modelId }, 'new generation created; live writes go to both');
      await sleep(this.settings.settleMs, this.abort.signal);
      await this.replayProducts(job, (chunk) => {
        sample.add(chunk);
        return this.handler.handleChunk(chunk, [job.collection], { replay: true });
      });
      const collections = await this.withRetries(() => this.index.listCollections());
      live = collections.find((collection) => collection.aliases.includes(PRODUCTS_ALIAS));
      const next = collections.find((collection) => collection.name === job.collection);
      if (this.gates && live && next && live.name !== next.name) await this.checkGates(job, this.gates, { live, next }, request, sample, log, options);
      job.state = 'swapping';
      void this.writeJob(job);
      job.previousCollection = await this.withRetries(() => this.index.swapAlias(PRODUCTS_ALIAS, job.collection));
      // Recorded before the write targets are read again: the history must already name the previous generation retained.
      await this.finished(job, log);
    } catch (error) {
      this.registry.removeReindexTarget(job.collection);
      // Left in place, the unfinished generation would keep receiving live writes; a rejected one is kept (no longer written) for inspection.
      if (!(error instanceof GatesFailedError)) await this.index.dropCollection(job.collection).catch(() => undefined);
      throw error;
    }
    const previous = job.previousCollection;
    this.registry.removeReindexTarget(job.collection);
    await this.refreshTargets();
    if ((options.heal || live?.damage) && previous && previous !== job.collection) {
      // A damaged generation cannot serve a rollback: it goes at once.
      await this.withRetries(() => this.index.dropCollection(previous)).catch((error: unknown) =>
        log.warn({ err: error, collection: previous }, 'damaged generation could not be dropped; drop it by hand'),
      );
    }
    log.info({ collection: job.collection, previousCollection: previous, products: job.total }, 'reindex done; alias swapped');
  }

  /** State `gating`: the new generation against the live one; throws GatesFailedError unless it passes, is forced, or heals. */
  private async checkGates(
    job: ReindexJob,
    gates: GenerationGates,
    { live, next }: { live: CollectionInfo; next: CollectionInfo },
    request: ReindexRequested,
    sample: CatalogSample,
    log: Logger,
    options: ReindexRunOptions,
  ): Promise<void> {
    job.state = 'gating';
    void this.writeJob(job);
    const liveReport = await this.withRetries(() => this.history.reportOf(live.name));
    const report = await this.withRetries(() => gates.check({ live, next, sample: sample.current(), liveReport }));
    job.gates = report;
    void this.writeJob(job);
    if (report.passed) {
      log.info({ gates: report.gates }, `${next.name} passed its gates`);
      return;
    }
    const failed = describeFailedGates(report.gates);
    if (request.force) {
      report.forcedReason = request.force.reason;
      log.warn(
        { gates: report.gates, forcedReason: request.force.reason },
        `${next.name} failed its gates (${failed}); swapping anyway, forced: ${request.force.reason}`,
      );
      return;
    }
    if (options.heal) {
      report.forcedReason = `self-heal: ${live.name} is damaged (${live.damage ?? 'damage reported'})`;
      log.warn({ gates: report.gates }, `${next.name} failed its gates (${failed}); swapping anyway: the live generation ${live.name} is damaged`);
      return;
    }
    throw new GatesFailedError(rejection(live, next, failed));
  }

  /**
   * Points the alias back at a retained generation (the previous one, or the one named), caught up
   * from the catalog log first; the generation it leaves is retained in turn.
   */
  private async rollBack(job: ReindexJob, request: RollbackRequested, recorded: ReindexJob | undefined, log: Logger): Promise<void> {
    if (recorded?.collection && (await this.holdsAlias(recorded.collection))) {
      // Consumed again after an interrupted run swapped, before `done` was recorded: rolling back again would move the alias a
      // second time. The run may have stopped before its catch-up after the swap: one more pass (current products are skipped).
      Object.assign(job, { collection: recorded.collection, modelId: recorded.modelId, previousCollection: recorded.previousCollection });
      const model = this.loadedModelById(recorded.modelId ?? this.defaultModel().modelId);
      if (model) await this.catchUp(job, model, undefined, log);
      else log.warn({ collection: job.collection, modelId: recorded.modelId }, 'its model is not loaded: not caught up again; live writes wait for it');
      await this.finished(job, log);
      await this.refreshTargets();
      log.info({ collection: job.collection }, 'interrupted rollback had already swapped the alias; recorded done');
      return;
    }
    const generations = await this.withRetries(() => this.history.list());
    const defaultModelId = this.defaultModel().modelId;
    const target = rollbackTarget(generations, { defaultModelId, isLoaded: (modelId) => this.loadedModelById(modelId) !== undefined }, request.to);
    const model = this.loadedModelById(target.modelId)!;
    if (model.dimension !== target.dimension)
      throw new Error(`${target.name} holds ${target.dimension}-dimension vectors but the loaded model ${model.modelId} makes ${model.dimension}`);
    job.collection = target.name;
    job.modelId = target.modelId;
    // Live events meanwhile reach the retained target too (a generation of a loaded model is a write target, collection-registry.ts)
    // on every replica that refreshed its write targets since the model was loaded: here at once.
    await this.refreshTargets();
    const firstPass = await this.catchUp(job, model, undefined, log);
    // Events appended during the first pass may have reached only the live generation on a replica that did not write the target yet.
    const beforeSwap = await this.catchUp(job, model, firstPass, log);
    job.state = 'swapping';
    void this.writeJob(job);
    job.previousCollection = await this.withRetries(() => this.index.swapAlias(PRODUCTS_ALIAS, target.name));
    // Events appended from here on reach the target through the alias on every replica; the ones before, through this pass.
    await this.catchUp(job, model, beforeSwap, log).catch((error: unknown) => {
      // The swap stands and must be recorded (the history derives the generations' roles from it); a shutdown runs the pass again.
      if (this.abort.signal.aborted) throw error;
      log.error({ err: error, collection: target.name }, 'catch-up after the swap failed; events of the last seconds may be missing from it');
    });
    await this.finished(job, log);
    await this.refreshTargets();
    log.info(
      { collection: target.name, modelId: target.modelId, previousCollection: job.previousCollection, caughtUp: job.caughtUp, reason: request.reason },
      `rolled back: ${target.name} serves again`,
    );
  }

  /**
   * State `catching-up`: the catalog log replayed into the job's collection only, with `model`, as
   * live events are handled (a current stored version is skipped, unchanged photos are not embedded
   * again, deletes are applied); events below `after` (a previous pass's end offsets) are not
   * handled again. Counts the products it wrote in `caughtUp`; returns this pass's end offsets.
   */
  private async catchUp(job: ReindexJob, model: EmbedderModel, after: ReadonlyMap<number, string> | undefined, log: Logger): Promise<Map<number, string>> {
    job.state = 'catching-up';
    job.caughtUp ??= 0;
    void this.writeJob(job);
    const written = new Set<EventOutcome>(['indexed', 'indexed_partial', 'attributes_updated']);
    const ends = await this.replayProducts(
      job,
      async (chunk) => {
        const results = await this.handler.handleChunk(chunk, [job.collection], { replay: true, model });
        job.caughtUp! += results.filter((result) => written.has(result.outcome)).length;
        return results;
      },
      after,
    );
    log.info(
      { collection: job.collection, modelId: model.modelId, events: job.total, caughtUp: job.caughtUp },
      `${job.collection} caught up from the catalog log`,
    );
    return ends;
  }

  /** Records `done` (waiting through a store outage): the generation history reads it before the write targets are read again. */
  private async finished(job: ReindexJob, log: Logger): Promise<void> {
    job.state = 'done';
    job.finishedAt = new Date().toISOString();
    job.heartbeatAt = undefined;
    await this.writeFinalRecord(job, log);
  }

  private async holdsAlias(collection: string): Promise<boolean> {
    const collections = await this.withRetries(() => this.index.listCollections());
    return collections.some((found) => found.name === collection && found.aliases.includes(PRODUCTS_ALIAS));
  }

  private async refreshTargets(): Promise<void> {
    const model = this.model();
    if (model) await this.registry.refresh(model).catch(() => undefined);
  }

  /** A filtered reindex: the matching products re-embedded in the collections live writes go to. */
  private async refreshInPlace(job: ReindexJob, categories: readonly string[], log: Logger): Promise<void> {
    job.kind = 'refresh';
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

  /**
   * Replays the products topic up to its end offsets at this moment, chunk by chunk, counting
   * progress; from `after` (end offsets of an earlier replay) where given. Returns the end offsets
   * it replayed to.
   */
  private async replayProducts(
    job: ReindexJob,
    handleChunk: (chunk: ConsumedEvent[]) => Promise<EventResult[]>,
    after?: ReadonlyMap<number, string>,
  ): Promise<Map<number, string>> {
    const ends = await this.withRetries(() => this.eventLog.endOffsets(this.settings.productsTopic));
    const from = (partition: number) => BigInt(after?.get(partition) ?? 0);
    job.total = [...ends].reduce((sum, [partition, end]) => sum + Math.max(0, Number(BigInt(end) - from(partition))), 0);
    job.done = 0;
    this.progress(job);
    await this.eventLog.replayTopic(
      this.settings.productsTopic,
      async (batch) => {
        for (const chunk of chunksOf(batch.messages, this.settings.eventsPerChunk)) {
          await this.withRetries(() => handleChunk(chunk));
          // The replay reads up to end offsets of its own, taken a moment later: a few more events than counted may arrive.
          job.done = Math.min(job.total, job.done + chunk.length);
          this.progress(job);
        }
      },
      { signal: this.abort.signal, from: after },
    );
    // Compaction may have removed records below the end offsets: the replay read everything there is.
    job.done = job.total;
    this.progress(job);
    return ends;
  }

  /** Stops a running job (shutdown); it ends as failed and its request is consumed again after a restart. */
  stop(): void {
    this.abort.abort();
  }

  private progress(job: ReindexJob): void {
    this.metrics.reindexProgress.set({ job_id: job.jobId, kind: 'total' }, job.total);
    this.metrics.reindexProgress.set({ job_id: job.jobId, kind: 'done' }, job.done);
    const now = Date.now();
    if (now - (this.lastProgressWrite.get(job.jobId) ?? 0) < this.settings.progressWriteMs) return;
    this.lastProgressWrite.set(job.jobId, now);
    void this.writeJob(job);
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

function kindOf(request: ReindexTopicMessage): ReindexJob['kind'] {
  if (request.type === 'rollback.requested') return 'rollback';
  return request.filter?.categories?.length ? 'refresh' : 'rebuild';
}

function rejection(live: CollectionInfo, next: CollectionInfo, failed: string): string {
  return (
    `${next.name} failed its gates: ${failed}. ${live.name} keeps serving; ${next.name} is kept for inspection (no longer written) until retention ends. ` +
    'Swap anyway with vsearch reindex --force "<reason>"'
  );
}
