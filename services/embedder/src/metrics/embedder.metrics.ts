/**
 * The embedder's Prometheus metrics: batch sizes, queue depth and delay per
 * lane, inference latency per tower, items embedded, errors by gRPC code and
 * the execution provider in use. Items per second is `rate(embedder_items_total[1m])`.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BatcherHooks, Lane } from '../batching/dynamic-batcher';

export type Tower = 'image' | 'text';

const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class EmbedderMetrics {
  readonly batchSize: Histogram<'tower'>;
  readonly queueDepth: Gauge<'tower' | 'lane'>;
  readonly queueDelay: Histogram<'tower' | 'lane'>;
  readonly inferenceSeconds: Histogram<'tower'>;
  readonly items: Counter<'tower' | 'lane'>;
  readonly batchFailures: Counter<'tower'>;
  readonly droppedItems: Counter<'tower' | 'lane' | 'reason'>;
  readonly errors: Counter<'method' | 'code'>;
  readonly executionProvider: Gauge<'provider' | 'model_id'>;
  readonly preprocessSeconds: Histogram;
  readonly inferenceWorkers: Gauge<'tower'>;
  private liveWorkers: ((tower: 'image' | 'text') => number) | undefined;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.batchSize = new Histogram({
      name: 'embedder_batch_size',
      help: 'Items per computed batch',
      labelNames: ['tower'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.queueDepth = new Gauge({ name: 'embedder_queue_depth', help: 'Items waiting for a batch', labelNames: ['tower', 'lane'], registers });
    this.queueDelay = new Histogram({
      name: 'embedder_queue_delay_seconds',
      help: 'Time an item waited before its batch started',
      labelNames: ['tower', 'lane'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inferenceSeconds = new Histogram({
      name: 'embedder_inference_seconds',
      help: 'Model time per batch',
      labelNames: ['tower'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.items = new Counter({ name: 'embedder_items_total', help: 'Items embedded', labelNames: ['tower', 'lane'], registers });
    this.batchFailures = new Counter({ name: 'embedder_batch_failures_total', help: 'Batches whose inference threw', labelNames: ['tower'], registers });
    this.droppedItems = new Counter({
      name: 'embedder_dropped_items_total',
      help: 'Items refused at the queue or dropped before inference (queue full, deadline passed, call cancelled, shutting down)',
      labelNames: ['tower', 'lane', 'reason'],
      registers,
    });
    this.errors = new Counter({ name: 'embedder_errors_total', help: 'Failed calls by gRPC status code', labelNames: ['method', 'code'], registers });
    this.executionProvider = new Gauge({
      name: 'embedder_execution_provider',
      help: 'The onnxruntime execution provider in use (1)',
      labelNames: ['provider', 'model_id'],
      registers,
    });
    const readWorkers = (tower: 'image' | 'text') => this.liveWorkers?.(tower);
    this.inferenceWorkers = new Gauge({
      name: 'embedder_inference_workers',
      help: 'Inference workers (sessions) alive per tower that compute batches side by side, the latency worker not counted; fewer than configured while a crashed one is replaced',
      labelNames: ['tower'],
      registers,
      collect() {
        for (const tower of ['image', 'text'] as const) {
          const live = readWorkers(tower);
          if (live !== undefined) this.set({ tower }, live);
        }
      },
    });
    this.preprocessSeconds = new Histogram({
      name: 'embedder_preprocess_seconds',
      help: 'Decode and resize time of one encoded image',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    for (const tower of ['image', 'text'] as const) for (const lane of ['interactive', 'bulk'] as const) this.queueDepth.set({ tower, lane }, 0);
  }

  /** The batcher's hooks for one tower, feeding the metrics above. */
  batcherHooks(tower: Tower): BatcherHooks {
    return {
      queueDepth: (depth) => {
        for (const lane of Object.keys(depth) as Lane[]) this.queueDepth.set({ tower, lane }, depth[lane]);
      },
      rejected: (lane, reason, items) => this.droppedItems.inc({ tower, lane, reason }, items),
      queueDelay: (lane, ms) => this.queueDelay.observe({ tower, lane }, ms / 1000),
      batchFinished: (stats) => {
        this.inferenceSeconds.observe({ tower }, stats.durationMs / 1000);
        if (stats.error !== undefined) {
          this.batchFailures.inc({ tower });
          return;
        }
        this.batchSize.observe({ tower }, stats.size);
        for (const lane of Object.keys(stats.byLane) as Lane[]) if (stats.byLane[lane] > 0) this.items.inc({ tower, lane }, stats.byLane[lane]);
      },
    };
  }

  /** Reads the live worker count of each tower whenever metrics are scraped. */
  observeInferenceWorkers(liveWorkers: (tower: 'image' | 'text') => number): void {
    this.liveWorkers = liveWorkers;
  }
}
