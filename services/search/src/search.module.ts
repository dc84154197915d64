/** The search service's Nest module: wires the vector-store port (one adapter), metrics and the gRPC handlers. */
import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@vsearch/observability';
import { VectorStore } from '@vsearch/vector-store';
import type { SearchConfig } from './config';
import { SearchGrpcController } from './controllers/search.grpc-controller';
import { SearchMetrics } from './metrics/search.metrics';
import { SEARCH_CONFIG, SEARCH_LOGGER } from './tokens';

export interface SearchModuleDeps {
  config: SearchConfig;
  logger: Logger;
  store: VectorStore;
  metrics: SearchMetrics;
}

@Module({})
export class SearchModule {
  static register({ config, logger, store, metrics }: SearchModuleDeps): DynamicModule {
    return {
      module: SearchModule,
      providers: [
        { provide: SEARCH_CONFIG, useValue: config },
        { provide: SEARCH_LOGGER, useValue: logger },
        { provide: VectorStore, useValue: store },
        { provide: SearchMetrics, useValue: metrics },
        {
          provide: SearchGrpcController,
          inject: [VectorStore, SearchMetrics, SEARCH_LOGGER],
          useFactory: (vectors: VectorStore, counters: SearchMetrics, log: Logger) => new SearchGrpcController(vectors, counters, log),
        },
      ],
      exports: [SearchGrpcController],
    };
  }
}
