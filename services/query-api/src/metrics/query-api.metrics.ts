/** Prometheus metrics of the query API (HTTP requests, query cache, dependency failures, rate limiting, decode overload), served at /metrics on the API port. */
import { Counter, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry } from '@vsearch/observability';

export class QueryApiMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly queryEmbeddingCache: Counter<'result'>;
  readonly liveModelRefreshes: Counter;
  readonly dependencyFailures: Counter<'dependency'>;
  readonly rateLimited: Counter<'client_kind'>;
  readonly overloaded: Counter;

  constructor(registry: Registry = createMetricsRegistry('query-api')) {
    this.registry = registry;
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.queryEmbeddingCache = new Counter({
      name: 'query_embedding_cache_total',
      help: 'Query embedding cache lookups by result (hit, miss)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.liveModelRefreshes = new Counter({
      name: 'query_live_model_refreshes_total',
      help: "Queries search refused as another model's (MODEL_MISMATCH: the live generation changed model), retried with the live model looked up again",
      registers: [registry],
    });
    this.dependencyFailures = new Counter({
      name: 'dependency_failures_total',
      help: 'Calls to a dependency that failed because it was unavailable',
      labelNames: ['dependency'],
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'rate_limited_requests_total',
      help: 'Requests refused with 429, by client kind (key, ip)',
      labelNames: ['client_kind'],
      registers: [registry],
    });
    this.overloaded = new Counter({
      name: 'overloaded_requests_total',
      help: 'Photo searches refused with 503 because the decode slots and their queue were full',
      registers: [registry],
    });
  }
}
