/**
 * The ingestion HTTP module: probes, metrics and reindex progress over the running pipeline.
 * Nest is only the HTTP framework here: the objects the controllers read are built in index.ts
 * and handed in as `useValue` providers keyed by their class.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { Registry } from 'prom-client';
import { IngestionRunner } from '../services/ingestion-runner';
import { ReindexService } from '../services/reindex.service';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ReindexController } from './reindex.controller';

/** What the controllers serve from: the runner's readiness, the reindex jobs' progress, the metrics registry. */
export interface IngestionHttpDependencies {
  runner: IngestionRunner;
  reindex: ReindexService;
  registry: Registry;
}

@Module({})
export class IngestionHttpModule {
  static register(deps: IngestionHttpDependencies): DynamicModule {
    return {
      module: IngestionHttpModule,
      controllers: [HealthController, MetricsController, ReindexController],
      providers: [
        { provide: IngestionRunner, useValue: deps.runner },
        { provide: ReindexService, useValue: deps.reindex },
        { provide: Registry, useValue: deps.registry },
      ],
    };
  }
}
