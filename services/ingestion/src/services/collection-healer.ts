/**
 * Self-healing of the live collection: every HEAL_CHECK_MS it reads search's collections and,
 * when the one behind the `products` alias reports `damage`, rebuilds it from the source of
 * truth without an operator: a whole-catalog reindex (ReindexService) into a new generation,
 * the alias swap, and the damaged generation dropped.
 *
 * One heal at a time: a check while a heal runs does nothing. A heal waits while a reindex runs
 * on this replica (jobs run one at a time; a whole-catalog rebuild replaces the damaged
 * generation anyway, and if the damage is still live afterwards the next check heals) and while
 * another replica fills a newer generation (its swap replaces the damaged one). Such a newer
 * generation that stops growing for HEAL_ABANDONED_AFTER_CHECKS checks, with no job here, is
 * taken as a rebuild that died with its process (kill -9): it is dropped and the heal goes on.
 * The heal generation is created by name (one past the newest generation), so two replicas
 * deciding in the same instant cannot both start a rebuild: the second gets ALREADY_EXISTS.
 */
import { generationOf, type CollectionInfo } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import { isAlreadyExists, PRODUCTS_ALIAS, type EmbedderModel, type ProductIndexWriter } from '../ports';
import type { GenerationRoles } from './generation-history';
import type { ReindexService } from './reindex.service';

export interface HealSettings {
  /** Checks of the live collection are this far apart. */
  checkMs: number;
  /** Checks without growth after which a newer generation nobody here fills is taken as abandoned. */
  abandonedAfterChecks: number;
}

/** What one check decided. */
export type HealCheck =
  | 'intact'
  | 'healed'
  | 'failed'
  /** Another replica created the heal generation first: it heals. */
  | 'deferred'
  /** A heal runs already (this check does nothing). */
  | 'busy'
  /** A reindex runs here, or a newer generation is being filled elsewhere. */
  | 'waiting'
  /** Search or the embedder's model is not known yet. */
  | 'unknown';

/** What `GET /internal/heal` serves and `vsearch status` shows. */
export interface HealStatus {
  state: 'idle' | 'healing' | 'waiting';
  /** The live collection's damage as search reported it at the last check. */
  damagedCollection?: string;
  damage?: string;
  /** While healing: the job (its progress at GET /internal/reindex/:jobId) and the generation it fills. */
  jobId?: string;
  healingInto?: string;
  /** While waiting: what the heal waits for. */
  waitingFor?: string;
  lastOutcome?: { outcome: 'healed' | 'failed' | 'deferred'; collection: string; at: string; error?: string };
}

export class CollectionHealer {
  private status: HealStatus = { state: 'idle' };
  /** A check, and the heal it started, is running: the next check does nothing (one heal at a time). */
  private inFlight = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<unknown> = Promise.resolve();
  /** Newer generations without a job here: product count at the last check and checks without growth. */
  private readonly stalls = new Map<string, { productCount: number; checks: number }>();

  constructor(
    private readonly index: ProductIndexWriter,
    private readonly reindex: ReindexService,
    private readonly model: () => EmbedderModel | undefined,
    private readonly metrics: IngestionMetrics,
    private readonly settings: HealSettings,
    private readonly logger: Logger,
    /** Retained and rejected generations are not rebuilds in progress: the heal does not wait for them. */
    private readonly roles: () => Promise<GenerationRoles> = async () => ({ retained: new Set(), rejected: new Set() }),
  ) {}

  currentStatus(): HealStatus {
    return { ...this.status };
  }

  /** Checks every `checkMs` until `stop()`; the first check runs after one interval. */
  start(): void {
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.checking = this.checkOnce()
          .catch((error: unknown) => this.logger.error({ err: error }, 'heal check failed; the next check tries again'))
          .finally(schedule);
      }, this.settings.checkMs);
      this.timer.unref();
    };
    schedule();
  }

  /** Stops checking; a heal in progress ends when the reindex service stops (it is not committed anywhere, the next start checks again). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.checking.catch(() => undefined);
  }

  /** One check: reads the collections and heals the live one when it is damaged; resolves when that heal ends. A check while another runs does nothing. */
  async checkOnce(): Promise<HealCheck> {
    if (this.inFlight) return 'busy';
    this.inFlight = true;
    try {
      return await this.check();
    } finally {
      this.inFlight = false;
    }
  }

  private async check(): Promise<HealCheck> {
    const model = this.model();
    if (!model) return 'unknown';
    let collections: CollectionInfo[];
    try {
      collections = await this.index.listCollections();
    } catch (error) {
      this.logger.debug({ err: error }, 'heal check: search does not answer');
      return 'unknown';
    }
    const live = collections.find((collection) => collection.aliases.includes(PRODUCTS_ALIAS));
    if (!live?.damage) {
      this.status = { state: 'idle', lastOutcome: this.status.lastOutcome };
      this.stalls.clear();
      return 'intact';
    }
    const reason = await this.reasonToWait(live, collections);
    if (reason) {
      if (this.status.state !== 'waiting' || this.status.waitingFor !== reason) {
        this.logger.warn({ collection: live.name, damage: live.damage, waitingFor: reason }, `collection ${live.name} is damaged; the heal waits: ${reason}`);
      }
      this.status = { state: 'waiting', damagedCollection: live.name, damage: live.damage, waitingFor: reason, lastOutcome: this.status.lastOutcome };
      return 'waiting';
    }
    return this.heal(live, collections, model);
  }

  private async heal(live: CollectionInfo, collections: CollectionInfo[], model: EmbedderModel): Promise<HealCheck> {
    const generation = `products_v${Math.max(0, ...collections.map((collection) => generationOf(collection.name) ?? 0)) + 1}`;
    const jobId = `heal-${live.name}-${Date.now().toString(36)}`;
    try {
      try {
        await this.index.createCollection(model.modelId, model.dimension, generation);
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
        this.logger.info({ collection: live.name, generation }, `collection ${live.name} is damaged; another replica started its heal into ${generation}`);
        return this.finish('deferred', live.name);
      }
      this.status = {
        state: 'healing',
        damagedCollection: live.name,
        damage: live.damage,
        jobId,
        healingInto: generation,
        lastOutcome: this.status.lastOutcome,
      };
      this.metrics.healInProgress.set(1);
      this.logger.warn(
        { collection: live.name, damage: live.damage, jobId, generation },
        `collection ${live.name} is damaged (${live.damage}); rebuilding it from the catalog topic into ${generation} (job ${jobId}), then swapping the alias`,
      );
      const job = await this.reindex.run(
        { type: 'reindex.requested', jobId, reason: `self-heal: ${live.name} is damaged: ${live.damage}`.slice(0, 500), requestedAt: new Date().toISOString() },
        // The live generation is damaged: the new one swaps in even if a gate fails (its report is recorded).
        { into: generation, heal: true },
      );
      if (job.state !== 'done') {
        this.logger.error(
          { collection: live.name, jobId, error: job.error },
          `the heal of ${live.name} failed (${job.error ?? 'no reason'}); the next check tries again`,
        );
        return this.finish('failed', live.name, job.error);
      }
      this.logger.info(
        { collection: live.name, jobId, generation, products: job.total },
        `healed: ${generation} rebuilt from the catalog topic serves; ${live.name} dropped`,
      );
      return this.finish('healed', live.name);
    } catch (error) {
      this.logger.error({ err: error, collection: live.name }, `the heal of ${live.name} could not start; the next check tries again`);
      return this.finish('failed', live.name, (error as Error).message);
    } finally {
      this.metrics.healInProgress.set(0);
    }
  }

  private finish(outcome: 'healed' | 'failed' | 'deferred', collection: string, error?: string): HealCheck {
    this.metrics.heals.inc({ outcome });
    this.status = { state: 'idle', lastOutcome: { outcome, collection, at: new Date().toISOString(), ...(error ? { error } : {}) } };
    return outcome;
  }

  /** Why not to heal now, or undefined; drops a newer generation that stopped growing with no job filling it here. */
  private async reasonToWait(live: CollectionInfo, collections: CollectionInfo[]): Promise<string | undefined> {
    const active = this.reindex.activeJob();
    if (active) return `reindex job ${active.jobId} is running here (a whole-catalog rebuild replaces ${live.name}; after any other job the heal starts)`;
    const liveGeneration = generationOf(live.name) ?? -1;
    const { retained, rejected } = await this.roles();
    const building = collections.filter(
      (collection) =>
        collection.aliases.length === 0 &&
        (generationOf(collection.name) ?? -1) > liveGeneration &&
        !retained.has(collection.name) &&
        !rejected.has(collection.name),
    );
    for (const name of [...this.stalls.keys()]) if (!building.some((collection) => collection.name === name)) this.stalls.delete(name);
    let waitingFor: string | undefined;
    for (const collection of building) {
      const seen = this.stalls.get(collection.name);
      const checks = seen && seen.productCount === collection.productCount ? seen.checks + 1 : 0;
      this.stalls.set(collection.name, { productCount: collection.productCount, checks });
      if (checks < this.settings.abandonedAfterChecks) {
        waitingFor ??= `generation ${collection.name} is being filled (${collection.productCount} products so far); its alias swap replaces ${live.name}`;
        continue;
      }
      this.logger.warn(
        { collection: collection.name, products: collection.productCount, checks },
        `generation ${collection.name} has not grown over ${checks} checks and no job here fills it: dropping it as an abandoned rebuild`,
      );
      await this.index.dropCollection(collection.name);
      this.stalls.delete(collection.name);
    }
    return waitingFor;
  }
}
