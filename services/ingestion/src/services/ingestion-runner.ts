/**
 * Keeps ingestion running through its dependencies' comings and goings: refreshes the embedder's
 * model (ModelTracker), makes sure the collection and alias exist, refreshes the write targets,
 * and starts the consumers once everything answers (catalog events to the handler, reindex
 * requests to the reindex service); readiness names what is missing.
 */
import { parseReindexTopicMessage } from '@vsearch/contracts';
import { catalogTopicSpecs, type EventConsumer, type EventLog, type PartitionBatch, type BatchControl } from '@vsearch/event-log';
import type { Logger } from '@vsearch/observability';
import type { IngestionConfig } from '../config';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import type { CatalogEventHandler } from './catalog-event.handler';
import type { CollectionRegistry } from './collection-registry';
import type { ModelTracker } from './model-tracker';
import type { ReindexService } from './reindex.service';

export interface Readiness {
  ready: boolean;
  /** Dependencies that do not answer: `event-log`, `embedder`, `search`. */
  missing: string[];
  /** Other reasons not to write (model mismatch, no collection). */
  problems: string[];
  modelId?: string;
  collections: string[];
}

export class IngestionRunner {
  private readonly up = { 'event-log': false, embedder: false, search: false };
  private topicsReady = false;
  private productsConsumer: EventConsumer | null = null;
  private reindexConsumer: EventConsumer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly config: IngestionConfig,
    private readonly eventLog: EventLog,
    private readonly model: ModelTracker,
    private readonly registry: CollectionRegistry,
    private readonly handler: CatalogEventHandler,
    private readonly reindex: ReindexService,
    private readonly metrics: IngestionMetrics,
    private readonly logger: Logger,
  ) {}

  /** Starts the dependency loop; the first round runs before this resolves. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  readiness(): Readiness {
    const missing = Object.entries(this.up)
      .filter(([, isUp]) => !isUp)
      .map(([name]) => name);
    const problems: string[] = [];
    const state = this.registry.current;
    if (this.up.search && state.targets.length === 0) problems.push(state.problem ?? 'no collection to write');
    if (missing.length === 0 && problems.length === 0 && !this.productsConsumer) problems.push('consumer not started');
    return { ready: missing.length === 0 && problems.length === 0, missing, problems, modelId: this.model.current()?.modelId, collections: state.targets };
  }

  /** Stops consuming (in-flight work is abandoned without committing) and the loop. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.reindex.stop();
    await this.ticking;
    await Promise.all([this.productsConsumer?.stop(), this.reindexConsumer?.stop()]);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.config.collectionsRefreshMs);
    this.timer.unref();
  }

  private tick(): Promise<void> {
    this.ticking = this.checkDependencies().catch((error: unknown) => this.logger.error({ err: error }, 'dependency check failed'));
    return this.ticking;
  }

  private async checkDependencies(): Promise<void> {
    await this.check('event-log', async () => {
      if (!this.topicsReady) {
        await this.eventLog.ensureTopics(catalogTopicSpecs(this.config.eventLog.topicPrefix));
        this.topicsReady = true;
      }
      return this.eventLog.isHealthy();
    });
    await this.check('embedder', async () => {
      await this.model.refresh();
      return true;
    });
    const model = this.model.current();
    if (model) {
      await this.check('search', async () => {
        // bootstrap() also recreates the first collection and the alias when search lost everything (a fresh embedded store).
        await this.registry.bootstrap(model, this.model.rolloutModels());
        return true;
      });
    }
    if (!this.closed && this.up['event-log'] && this.up.embedder && this.up.search) await this.startConsumers();
  }

  private async check(name: keyof IngestionRunner['up'], probe: () => Promise<boolean>): Promise<void> {
    const was = this.up[name];
    try {
      this.up[name] = await probe();
    } catch (error) {
      this.up[name] = false;
      if (was) this.logger.warn({ err: error, dependency: name }, `${name} does not answer`);
      else this.logger.debug({ err: error, dependency: name }, `${name} does not answer yet`);
    }
    if (!was && this.up[name]) this.logger.info({ dependency: name }, `${name} answers`);
  }

  private async startConsumers(): Promise<void> {
    const { consumerGroup } = this.config.eventLog;
    if (!this.productsConsumer) {
      const consumer = this.eventLog.createConsumer({
        groupId: consumerGroup,
        topics: [this.config.topics.products],
        fromBeginning: true,
        partitionsConsumedConcurrently: this.config.pipeline.partitionsConcurrency,
        maxBatchSize: this.config.pipeline.eventsPerChunk * 4,
      });
      try {
        await consumer.start(this.handler.handleBatch);
        this.productsConsumer = consumer;
        this.metrics.observeConsumerLag(() => consumer.lag());
        this.logger.info({ topic: this.config.topics.products, group: consumerGroup }, 'consuming catalog events');
      } catch (error) {
        await consumer.stop().catch(() => undefined);
        this.logger.warn({ err: error }, 'catalog consumer could not start; will retry');
        return;
      }
    }
    if (!this.reindexConsumer) {
      // From the beginning, so a request published before this group's first start is not missed; stale ones are skipped below.
      const consumer = this.eventLog.createConsumer({
        groupId: `${consumerGroup}-reindex`,
        topics: [this.config.topics.reindex],
        fromBeginning: true,
        partitionsConsumedConcurrently: 1,
        maxBatchSize: 1,
      });
      try {
        await consumer.start(this.handleReindexBatch);
        this.reindexConsumer = consumer;
      } catch (error) {
        await consumer.stop().catch(() => undefined);
        this.logger.warn({ err: error }, 'reindex consumer could not start; will retry');
      }
    }
  }

  private readonly handleReindexBatch = async (batch: PartitionBatch, control: BatchControl): Promise<void> => {
    for (const message of batch.messages) {
      if (!control.isActive()) return;
      const parsed = message.value ? parseReindexTopicMessage(message.value) : null;
      if (!parsed?.ok) {
        this.logger.warn({ offset: message.offset, error: parsed && !parsed.ok ? parsed.error.message : 'empty value' }, 'reindex request ignored: invalid');
        await control.commit(message.offset);
        continue;
      }
      const age = Date.now() - Date.parse(parsed.value.requestedAt);
      if (age > this.config.reindexRequestMaxAgeMs) {
        this.logger.warn({ jobId: parsed.value.jobId, requestedAt: parsed.value.requestedAt }, 'reindex request skipped: too old');
        await control.commit(message.offset);
        continue;
      }
      const keepAlive = setInterval(() => void control.heartbeat().catch(() => undefined), 3_000);
      try {
        await this.reindex.run(parsed.value);
      } finally {
        clearInterval(keepAlive);
      }
      // A job cut short by shutdown is not committed: it runs again after the restart.
      if (!control.isActive()) return;
      await control.commit(message.offset);
    }
  };
}
