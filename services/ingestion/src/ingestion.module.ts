/** The ingestion HTTP module: probes, metrics and reindex progress over the running pipeline. */
import { Module, type DynamicModule } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HealthController } from './controllers/health.controller';
import { MetricsController } from './controllers/metrics.controller';
import { ReindexController } from './controllers/reindex.controller';
import { IngestionRunner } from './services/ingestion-runner';
import { ReindexService } from './services/reindex.service';

@Module({})
export class IngestionHttpModule {
  static register(deps: { runner: IngestionRunner; reindex: ReindexService; registry: Registry }): DynamicModule {
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
