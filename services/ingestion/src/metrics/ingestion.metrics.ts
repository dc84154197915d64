/** Prometheus metrics of ingestion: events by outcome, end-to-end lag, consumer lag, fetch and embed latency, dead letters, reindex and self-heal. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PartitionLag } from '@vsearch/event-log';

export type EventOutcome = 'indexed' | 'indexed_partial' | 'attributes_updated' | 'deleted' | 'stale' | 'dead_lettered' | 'skipped';

export class IngestionMetrics {
  readonly events: Counter<'outcome'>;
  readonly endToEndLag: Histogram;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly fetchSeconds: Histogram<'outcome'>;
  readonly preprocessSeconds: Histogram;
  readonly embedSeconds: Histogram;
  readonly searchCallSeconds: Histogram<'call'>;
  readonly productImagesSeconds: Histogram;
  readonly embeddedImages: Counter;
  readonly imageFailures: Counter<'stage' | 'code'>;
  readonly deadLetters: Counter<'stage' | 'reason'>;
  readonly cache: Counter<'result'>;
  readonly contentChecks: Counter<'result'>;
  readonly dependencyRetries: Counter<'dependency'>;
  readonly unexpectedEventErrors: Counter<'outcome'>;
  readonly reindexProgress: Gauge<'job_id' | 'kind'>;
  readonly heals: Counter<'outcome'>;
  readonly healInProgress: Gauge;
  private lagSource: () => PartitionLag[] = () => [];

  constructor(registry: Registry) {
    this.events = new Counter({ name: 'ingestion_events_total', help: 'Catalog events handled, by outcome', labelNames: ['outcome'], registers: [registry] });
    this.endToEndLag = new Histogram({
      name: 'ingestion_end_to_end_lag_seconds',
      help: "From an event's occurredAt to the write acknowledged by search",
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    });
    const lags = () => this.lagSource();
    this.consumerLag = new Gauge({
      name: 'ingestion_consumer_lag',
      help: 'Messages not yet processed, per partition (log end minus position)',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        for (const lag of lags()) this.set({ topic: lag.topic, partition: String(lag.partition) }, lag.lag);
      },
    });
    this.fetchSeconds = new Histogram({
      name: 'ingestion_image_fetch_seconds',
      help: 'Image fetch latency',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.preprocessSeconds = new Histogram({
      name: 'ingestion_image_preprocess_seconds',
      help: 'Decode + resize latency per image',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    this.embedSeconds = new Histogram({
      name: 'ingestion_embed_seconds',
      help: 'Embedder call latency (one bulk batch)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.searchCallSeconds = new Histogram({
      name: 'ingestion_search_call_seconds',
      help: 'Search call latency by call',
      labelNames: ['call'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.productImagesSeconds = new Histogram({
      name: 'ingestion_product_images_seconds',
      help: "Time to turn one product's images into vectors (fetch, preprocess, embed)",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.embeddedImages = new Counter({ name: 'ingestion_embedded_images_total', help: 'Images sent to the embedder', registers: [registry] });
    this.imageFailures = new Counter({
      name: 'ingestion_image_failures_total',
      help: 'Images left out of a product, by stage and code (a fetch or decode failure once per image, an embed failure once per model)',
      labelNames: ['stage', 'code'],
      registers: [registry],
    });
    this.deadLetters = new Counter({
      name: 'ingestion_dead_letters_total',
      help: 'Events written to the dead-letter topic',
      labelNames: ['stage', 'reason'],
      registers: [registry],
    });
    this.cache = new Counter({ name: 'ingestion_embedding_cache_total', help: 'Embedding cache look-ups', labelNames: ['result'], registers: [registry] });
    this.contentChecks = new Counter({
      name: 'ingestion_image_content_checks_total',
      help: 'Images behind unchanged URLs checked for new bytes: not_modified (304), same_hash, changed, unknown (no content recorded), failed',
      labelNames: ['result'],
      registers: [registry],
    });
    this.dependencyRetries = new Counter({
      name: 'ingestion_dependency_retries_total',
      help: 'Partition pauses because a dependency was unavailable',
      labelNames: ['dependency'],
      registers: [registry],
    });
    this.unexpectedEventErrors = new Counter({
      name: 'ingestion_unexpected_event_errors_total',
      help: 'Tries of events that failed with an unexpected error (not an outage): retried, or dead-lettered after the last try',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.reindexProgress = new Gauge({ name: 'ingestion_reindex_products', help: 'Reindex progress', labelNames: ['job_id', 'kind'], registers: [registry] });
    this.heals = new Counter({
      name: 'ingestion_heals_total',
      help: 'Self-heals of a damaged live collection, by outcome (healed, failed, deferred: another replica heals)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.healInProgress = new Gauge({
      name: 'ingestion_heal_in_progress',
      help: '1 while this replica rebuilds a damaged live collection',
      registers: [registry],
    });
  }

  observeConsumerLag(source: () => PartitionLag[]): void {
    this.lagSource = source;
  }
}
