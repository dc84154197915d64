/** Search's Prometheus metrics: latency per RPC and outcome, and the size of every collection (read at scrape time). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { VectorStore } from '@vsearch/vector-store';

export class SearchMetrics {
  readonly rpcDuration: Histogram<'method' | 'code'>;
  /** Products given tags of the active taxonomy, by where: `upsert` or `retag`. */
  readonly productsTagged: Counter<'source'>;
  readonly retagDuration: Histogram<'outcome'>;

  constructor(registry: Registry, store: VectorStore) {
    this.rpcDuration = new Histogram({
      name: 'search_rpc_duration_seconds',
      help: 'Latency of search gRPC calls by method and status code',
      labelNames: ['method', 'code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.productsTagged = new Counter({
      name: 'search_products_tagged_total',
      help: 'Products tagged with the active zero-shot taxonomy, at upsert or by a re-tag from stored vectors',
      labelNames: ['source'],
      registers: [registry],
    });
    this.retagDuration = new Histogram({
      name: 'search_retag_duration_seconds',
      help: 'Duration of re-tagging a collection from its stored vectors, by outcome (done, failed)',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    });
    const sizeOf = (field: 'pointCount' | 'productCount') =>
      async function collect(this: Gauge<'collection'>) {
        this.reset();
        try {
          for (const info of await store.listCollections()) this.set({ collection: info.name }, info[field]);
        } catch {
          // The store is unreachable: export nothing rather than failing the whole scrape.
        }
      };
    new Gauge({
      name: 'search_collection_points',
      help: 'Image vectors stored per collection',
      labelNames: ['collection'],
      registers: [registry],
      collect: sizeOf('pointCount'),
    });
    new Gauge({
      name: 'search_collection_products',
      help: 'Products stored per collection',
      labelNames: ['collection'],
      registers: [registry],
      collect: sizeOf('productCount'),
    });
  }
}
