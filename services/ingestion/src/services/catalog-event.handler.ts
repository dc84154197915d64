/**
 * One partition's batch of catalog events → vector-store writes → commit. Events are handled
 * in chunks (concurrently inside a chunk, never two events of one product in the same chunk,
 * so per-product order holds); a chunk is committed only after search acknowledged every
 * write and its dead letters are on the DLQ topic. An outage of the embedder, search or the
 * log returns RetryLater: the partition pauses and the chunk is redone, nothing committed,
 * nothing dead-lettered. An event that fails with an unexpected error (a bug, not an outage) is
 * retried with backoff a bounded number of times (PoisonEventPolicy), then dead-lettered (stage
 * `handle`, a stack-free reason) so its partition moves on. A product whose images partly fail is written with the images that
 * worked and the failures (stage, code, reason) recorded beside it in search; its next event
 * fetches every image again, and a write without failures clears the record.
 * Each target gets vectors of its own model and each upsert names it (search refuses another
 * model's): during a model rollout the live and the reindex generation differ, and the product's
 * images are fetched, decoded and described once and embedded once per model (the embedding cache
 * is keyed by model id).
 */
import {
  DependencyUnavailableError,
  parseCatalogEvent,
  productDataFromEvent,
  RejectedByDependencyError,
  type ImageRef,
  type ImageVector,
  type ProductData,
  type ProductDeleted,
  type ProductImage,
  type ProductUpserted,
} from '@vsearch/contracts';
import {
  ConsumedEventSpans,
  type BatchControl,
  type ConsumedEvent,
  type DeadLetterPublisher,
  type DeadLetterReason,
  type PartitionBatch,
  type RetryLater,
} from '@vsearch/event-log';
import type { Logger } from '@vsearch/observability';
import type { EventOutcome, IngestionMetrics } from '../metrics/ingestion.metrics';
import type { EmbedderModel, ProductIndexWriter } from '../ports';
import { backoffDelay } from './concurrency';
import type { ContentCheck, ImageFailure, ImageVectorizer } from './image-vectorizer';
import { DEFAULT_POISON_EVENT_SETTINGS, isOutage, PoisonEventPolicy, stackFreeReason, type PoisonEventSettings } from './poison-event-policy';

export interface HandlerSettings {
  eventsPerChunk: number;
  dependencyRetryBaseMs: number;
  dependencyRetryMaxMs: number;
  /** Retries of an event failing with an unexpected error before it is dead-lettered (default DEFAULT_POISON_EVENT_SETTINGS). */
  poisonEvents?: PoisonEventSettings;
}

export interface WriteTargets {
  /** Collections to write now; empty when nothing may be written (model mismatch, no collection). */
  targets(): string[];
  /** Why `targets()` is empty. */
  problem(): string | undefined;
  /** The model whose vectors a target takes (CollectionRegistry.modelOf); unset or undefined: the embedder's default model. */
  modelOf?(target: string): EmbedderModel | undefined;
}

/** How `handleChunk` treats a chunk. */
export interface ChunkOptions {
  /** A replay (reindex): neither dead letters nor event metrics, the live consumer did both. */
  replay?: boolean;
  /** Only upserts of products in at least one of these categories are handled; the others are skipped. */
  categories?: readonly string[];
  /**
   * Re-embed in place (a filtered reindex): an upsert of the stored version is written again
   * with fresh vectors instead of being skipped, never as an attribute-only update, with the
   * embedding cache bypassed; deletes are skipped (the live consumer applied them).
   */
  refresh?: boolean;
  /**
   * The model of targets the write targets do not know (a rollback's catch-up writes a retained
   * generation by name, whatever its model); unset: the embedder's default model.
   */
  model?: EmbedderModel;
}

/** Where an event ended, for metrics, logs and tests. */
export interface EventResult {
  outcome: EventOutcome;
  deadLetter?: DeadLetterReason;
}

/** Some events of the chunk failed with an unexpected error and are to be tried again after `delayMs`. */
class RetryPoisonEvents extends Error {
  constructor(
    readonly delayMs: number,
    readonly failures: { message: ConsumedEvent; error: unknown; attempt: number }[],
  ) {
    super(`${failures.length} event(s) failed with an unexpected error`);
  }
}

/** The vectors of one model for the targets that hold that model. */
interface ModelWrite {
  modelId: string;
  targets: string[];
  vectors: ImageVector[];
  failures: ImageFailure[];
}

/** An event either finished (result) or waits for the chunk's batched upserts with its vectors, per model. */
type EventPlan = { result: EventResult } | { upsert: { product: ProductData; writes: ModelWrite[]; occurredAt: string } };

export class CatalogEventHandler {
  private readonly failuresByPartition = new Map<string, number>();
  private readonly poison: PoisonEventPolicy;

  constructor(
    private readonly index: ProductIndexWriter,
    private readonly vectorizer: ImageVectorizer,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly writeTargets: WriteTargets,
    private readonly model: () => EmbedderModel | undefined,
    private readonly metrics: IngestionMetrics,
    private readonly settings: HandlerSettings,
    private readonly logger: Logger,
  ) {
    this.poison = new PoisonEventPolicy(settings.poisonEvents ?? DEFAULT_POISON_EVENT_SETTINGS);
  }

  /** The consumer's batch handler: commits chunk by chunk, or asks to retry from the first unfinished event. */
  readonly handleBatch = async (batch: PartitionBatch, control: BatchControl): Promise<RetryLater | void> => {
    const partitionKey = `${batch.topic}/${batch.partition}`;
    for (const chunk of chunksOf(batch.messages, this.settings.eventsPerChunk)) {
      if (!control.isActive()) return;
      try {
        await this.handleChunk(chunk, this.writeTargets.targets());
      } catch (error) {
        if (!control.isActive()) return;
        if (error instanceof RetryPoisonEvents) {
          this.metrics.unexpectedEventErrors.inc({ outcome: 'retried' }, error.failures.length);
          for (const { message, error: cause, attempt } of error.failures) {
            const log = { partition: partitionKey, offset: message.offset, key: message.key, attempt, delayMs: error.delayMs, err: cause };
            this.logger.error(log, 'event failed with an unexpected error; partition paused, will retry it without committing');
          }
          return { retryFrom: chunk[0].offset, delayMs: error.delayMs };
        }
        const failures = (this.failuresByPartition.get(partitionKey) ?? 0) + 1;
        this.failuresByPartition.set(partitionKey, failures);
        const delayMs = backoffDelay(failures - 1, this.settings.dependencyRetryBaseMs, this.settings.dependencyRetryMaxMs);
        const dependency = error instanceof DependencyUnavailableError ? error.dependency : 'unknown';
        this.metrics.dependencyRetries.inc({ dependency });
        const log = { partition: partitionKey, offset: chunk[0].offset, delayMs, failures, err: error };
        if (error instanceof DependencyUnavailableError) this.logger.warn(log, `${error.message}; partition paused, will retry without committing`);
        else this.logger.error(log, 'unexpected failure; partition paused, will retry without committing');
        return { retryFrom: chunk[0].offset, delayMs };
      }
      if (!control.isActive()) return;
      await control.commit(chunk[chunk.length - 1].offset);
      this.failuresByPartition.delete(partitionKey);
      this.poison.committed(batch.topic, batch.partition);
    }
  };

  /**
   * Handles events into the given collections; throws on an outage (nothing to commit then).
   * Replays skip dead letters and metrics, and throw an unexpected error as it is (the reindex
   * job retries); the live consumer retries the events it fails on and dead-letters them after
   * the last try.
   */
  async handleChunk(chunk: ConsumedEvent[], targets: string[], options: ChunkOptions = {}): Promise<EventResult[]> {
    // One trace span per event (the child of its producer's); a batched write links the events it serves.
    return ConsumedEventSpans.around(chunk, options, (spans) => this.handleTracedChunk(chunk, targets, options, spans));
  }

  private async handleTracedChunk(chunk: ConsumedEvent[], targets: string[], options: ChunkOptions, spans: ConsumedEventSpans): Promise<EventResult[]> {
    if (targets.length === 0) throw new DependencyUnavailableError('search', this.writeTargets.problem() ?? 'no collection to write');
    const model = options.model ?? this.model();
    if (!model) throw new DependencyUnavailableError('embedder', 'model info not known yet');
    const settled = await Promise.allSettled(chunk.map((message, i) => spans.inEvent(i, () => this.handleEvent(message, targets, model, options))));
    const failed = settled.flatMap((result, i) => (result.status === 'rejected' ? [{ i, error: result.reason as unknown }] : []));
    const outage = failed.find(({ error }) => isOutage(error));
    if (outage) throw outage.error;
    if (failed.length > 0 && options.replay) throw failed[0].error;
    const givenUp = this.poisonResults(chunk, failed);
    const plans = settled.map((result, i) => (result.status === 'fulfilled' ? result.value : { result: givenUp.get(i)! }));
    const results = await this.writeUpserts(chunk, plans, options.replay ?? false, spans);
    // A replay (reindex) neither dead-letters again nor counts events: the live consumer did both.
    if (options.replay) return results;
    for (let i = 0; i < chunk.length; i++) {
      const reason = results[i].deadLetter;
      if (!reason) continue;
      try {
        await this.deadLetters.publishDeadLetter(chunk[i], reason);
      } catch (error) {
        throw new DependencyUnavailableError('event-log', `dead-letter publish failed: ${(error as Error).message}`, { cause: error });
      }
      this.metrics.deadLetters.inc({ stage: reason.stage, reason: reason.errorCode });
      this.logger.warn({ key: chunk[i].key, partition: chunk[i].partition, offset: chunk[i].offset, ...reason }, 'event dead-lettered');
    }
    for (const result of results) this.metrics.events.inc({ outcome: result.outcome });
    return results;
  }

  private async handleEvent(
    message: ConsumedEvent,
    targets: string[],
    model: EmbedderModel,
    { categories, refresh = false }: ChunkOptions,
  ): Promise<EventPlan> {
    if (message.value === null) return { result: { outcome: 'skipped' } };
    const parsed = parseCatalogEvent(message.value);
    if (!parsed.ok) {
      return { result: { outcome: 'dead_lettered', deadLetter: { stage: 'parse', errorCode: parsed.error.code, reason: parsed.error.message } } };
    }
    const event = parsed.value;
    if (event.type === 'product.deleted') return refresh ? { result: { outcome: 'skipped' } } : { result: await this.handleDeleted(event, targets) };
    if (categories && !event.categories.some((category) => categories.includes(category))) return { result: { outcome: 'skipped' } };
    return this.handleUpserted(event, targets, model, refresh);
  }

  private async handleDeleted(event: ProductDeleted, targets: string[]): Promise<EventResult> {
    const outcomes = await Promise.all(targets.map((target) => this.timed('delete', () => this.index.deleteProduct(target, event.productId, event.version))));
    this.observeLag(event.occurredAt);
    return { outcome: outcomes.includes('stale') && !outcomes.includes('applied') ? 'stale' : 'deleted' };
  }

  /** Decides what an upsert needs (nothing, a payload update, or vectors) and computes the vectors; the writes are batched per chunk. */
  private async handleUpserted(event: ProductUpserted, targets: string[], model: EmbedderModel, refresh: boolean): Promise<EventPlan> {
    const product = productDataFromEvent(event);
    const needVectors: string[] = [];
    let attributesUpdated = false;
    let storedImages: ImageRef[] | undefined;
    let contentCheck: Promise<ContentCheck> | undefined;
    for (const target of targets) {
      const stored = await this.timed('get_product', () => this.index.getProduct(target, event.productId));
      // Already written (a redelivery or a replay) or overtaken by a newer version: nothing to do here.
      // A refresh rewrites the stored version itself (search re-applies an equal version); only a
      // newer stored version makes its event obsolete, and that newer event is refreshed in turn.
      if (stored && (refresh ? stored.product.version > event.version : stored.product.version >= event.version)) continue;
      // What the stored vectors came from, in any target: a generation a reindex fills lacks the
      // product, but the live one tells which images may be asked for conditionally.
      storedImages ??= stored?.images;
      if (!refresh && stored && stored.failedImages.length === 0 && sameImages(stored.images, event.images)) {
        // The same URLs, but a photo may have been replaced behind one: ask the hosts (checked
        // once per event, whatever the number of targets). When every photo is unchanged only
        // price, stock or text changed: rewrite the payload, keep the vectors (no GPU work).
        // Not while failures are recorded: those images must be fetched again, whatever changed.
        contentCheck ??= this.vectorizer.checkContent(event.images, stored.images);
        if ((await contentCheck).unchanged) {
          const [outcome] = await this.timed('update_attributes', () => this.index.updateAttributes(target, [product]));
          if (outcome !== 'not_found') {
            attributesUpdated = true;
            continue;
          }
        }
      }
      needVectors.push(target);
    }
    if (needVectors.length === 0) {
      this.observeLag(event.occurredAt);
      return { result: { outcome: attributesUpdated ? 'attributes_updated' : 'stale' } };
    }

    const byModel = new Map<string, { model: EmbedderModel; targets: string[] }>();
    for (const target of needVectors) {
      const targetModel = this.writeTargets.modelOf?.(target) ?? model;
      const group = byModel.get(targetModel.modelId) ?? { model: targetModel, targets: [] };
      group.targets.push(target);
      byModel.set(targetModel.modelId, group);
    }
    const stopImages = this.metrics.productImagesSeconds.startTimer();
    const check = contentCheck ? await contentCheck : undefined;
    // Each image is fetched, decoded and described once and embedded once per model; the content check's downloads and
    // verdicts hold for every model.
    const groups = [...byModel.values()];
    const perModel = await this.vectorizer.vectorize(
      event.images,
      groups.map((group) => group.model),
      { refresh, stored: storedImages, prefetched: check?.fetched, unchanged: check?.unchangedIds },
    );
    const writes: ModelWrite[] = groups.map((group, i) => ({ modelId: group.model.modelId, targets: group.targets, ...perModel[i] }));
    stopImages();
    // A product without a single vector of one model cannot be written to its targets: every image failed to be
    // fetched or decoded (for every model alike), or the embedder refused them all for that model.
    const empty = writes.find((write) => write.vectors.length === 0);
    if (empty) {
      const { failures } = empty;
      const first = failures[0];
      return {
        result: {
          outcome: 'dead_lettered',
          deadLetter: {
            stage: first.stage,
            errorCode: first.errorCode,
            reason: `all ${failures.length} image(s) failed: ${failures.map((failure) => `${failure.imageId} ${failure.stage}/${failure.errorCode}: ${failure.reason}`).join('; ')}`,
          },
        },
      };
    }
    return { upsert: { product, writes, occurredAt: event.occurredAt } };
  }

  /**
   * Dead-letter results for the events that failed with an unexpected error and were tried for
   * the last time; throws RetryPoisonEvents when any of them is to be tried again.
   */
  private poisonResults(chunk: ConsumedEvent[], failed: { i: number; error: unknown }[]): Map<number, EventResult> {
    const results = new Map<number, EventResult>();
    const retries: RetryPoisonEvents['failures'] = [];
    let delayMs = 0;
    for (const { i, error } of failed) {
      const verdict = this.poison.failed(chunk[i]);
      if (verdict.action === 'retry') {
        retries.push({ message: chunk[i], error, attempt: verdict.attempt });
        delayMs = Math.max(delayMs, verdict.delayMs);
        continue;
      }
      this.metrics.unexpectedEventErrors.inc({ outcome: 'dead_lettered' });
      results.set(i, {
        outcome: 'dead_lettered',
        deadLetter: { stage: 'handle', errorCode: 'unexpected_error', reason: stackFreeReason(error, verdict.attempts) },
      });
    }
    if (retries.length > 0) throw new RetryPoisonEvents(delayMs, retries);
    return results;
  }

  /**
   * One Upsert call per collection for the whole chunk (search serialises writes: per-product
   * calls would make it the bottleneck). A batch search refuses, or one that fails with an
   * unexpected error, is retried product by product so only the product at fault is
   * dead-lettered (or, for an unexpected error, tried again by the poison-event policy).
   */
  private async writeUpserts(chunk: ConsumedEvent[], plans: EventPlan[], replay: boolean, spans: ConsumedEventSpans): Promise<EventResult[]> {
    const results: (EventResult | undefined)[] = plans.map((plan) => ('result' in plan ? plan.result : undefined));
    const pending = plans.flatMap((plan, i) => ('upsert' in plan ? [{ i, ...plan.upsert }] : []));
    const rejected = new Map<number, RejectedByDependencyError>();
    const unexpected = new Map<number, unknown>();
    type TargetItem = { i: number; product: ProductData; vectors: ImageVector[]; failures: ImageFailure[] };
    const byTarget = new Map<string, { modelId: string; items: TargetItem[] }>();
    for (const item of pending) {
      for (const { modelId, targets, vectors, failures } of item.writes) {
        for (const target of targets) {
          const entry = byTarget.get(target) ?? { modelId, items: [] };
          entry.items.push({ i: item.i, product: item.product, vectors, failures });
          byTarget.set(target, entry);
        }
      }
    }
    for (const [target, { modelId, items }] of byTarget) {
      const write = (batch: TargetItem[]) =>
        spans.forEvents(
          batch.map((item) => item.i),
          'ingestion write products',
          () =>
            this.timed('upsert', () =>
              this.index.upsertProducts(
                target,
                batch.map((item) => ({ product: item.product, images: item.vectors, failedImages: item.failures })),
                modelId,
              ),
            ),
        );
      try {
        await write(items);
      } catch (error) {
        if (isOutage(error) || (replay && !(error instanceof RejectedByDependencyError))) throw error;
        for (const item of items) {
          try {
            await write([item]);
          } catch (single) {
            if (single instanceof RejectedByDependencyError) rejected.set(item.i, single);
            else if (isOutage(single) || replay) throw single;
            else unexpected.set(item.i, single);
          }
        }
      }
    }
    const givenUp = this.poisonResults(
      chunk,
      [...unexpected].map(([i, error]) => ({ i, error })),
    );
    for (const item of pending) {
      const poisoned = givenUp.get(item.i);
      if (poisoned) {
        results[item.i] = poisoned;
        continue;
      }
      const refusal = rejected.get(item.i);
      if (refusal) {
        results[item.i] = { outcome: 'dead_lettered', deadLetter: { stage: 'upsert', errorCode: refusal.code, reason: refusal.message } };
        continue;
      }
      this.observeLag(item.occurredAt);
      // Fetch and decode failures are the same for every model; the first model's write stands for the product.
      const [{ vectors, failures }] = item.writes;
      if (failures.length > 0) {
        this.logger.warn(
          {
            productId: item.product.productId,
            version: item.product.version,
            indexedImages: vectors.length,
            failures: failures.map(({ imageId, stage, errorCode, reason }) => ({ imageId, stage, errorCode, reason })),
          },
          'product indexed without some of its images; the failures are recorded with it',
        );
        results[item.i] = { outcome: 'indexed_partial' };
      } else {
        results[item.i] = { outcome: 'indexed' };
      }
    }
    return results as EventResult[];
  }

  private async timed<T>(call: string, action: () => Promise<T>): Promise<T> {
    const stop = this.metrics.searchCallSeconds.startTimer({ call });
    try {
      return await action();
    } finally {
      stop();
    }
  }

  private observeLag(occurredAt: string): void {
    const seconds = (Date.now() - Date.parse(occurredAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.metrics.endToEndLag.observe(seconds);
  }
}

/** Consecutive runs of at most `size` events with no product key twice (per-key order is kept across chunks). */
export function chunksOf(messages: ConsumedEvent[], size: number): ConsumedEvent[][] {
  const chunks: ConsumedEvent[][] = [];
  let current: ConsumedEvent[] = [];
  let keys = new Set<string>();
  for (const message of messages) {
    const key = message.key ?? `\u0000offset-${message.offset}`;
    if (current.length >= size || keys.has(key)) {
      chunks.push(current);
      current = [];
      keys = new Set();
    }
    current.push(message);
    keys.add(key);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function sameImages(stored: readonly ImageRef[], wanted: readonly ProductImage[]): boolean {
  if (stored.length !== wanted.length) return false;
  const storedSet = new Set(stored.map((image) => `${image.imageId}\u0000${image.imageUrl}`));
  return wanted.every((image) => storedSet.has(`${image.id}\u0000${image.url}`));
}
