/**
 * The ingestion HTTP module: probes, metrics, reindex progress, self-heal state and the generations list over the running pipeline.
 * Nest is only the HTTP framework here: the objects the controllers read are built in index.ts
 * and handed in as `useValue` providers keyed by their class.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { Registry } from 'prom-client';
import { CollectionHealer } from '../services/collection-healer';
import { GenerationHistory } from '../services/generation-history';
import { IngestionRunner } from '../services/ingestion-runner';
import { ReindexService } from '../services/reindex.service';
import { GenerationsController } from './generations.controller';
import { HealController } from './heal.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ReindexController } from './reindex.controller';

/** What the controllers serve from: the runner's readiness, the reindex jobs' progress, the healer's state, the metrics registry. */
export interface IngestionHttpDependencies {
  runner: IngestionRunner;
  reindex: ReindexService;
  /** Absent when SELF_HEAL is off. */
  healer?: CollectionHealer;
  /** The generations list (GET /internal/generations). */
  history: GenerationHistory;
  registry: Registry;
}

@Module({})
export class IngestionHttpModule {
  static register(deps: IngestionHttpDependencies): DynamicModule {
    return {
      module: IngestionHttpModule,
      controllers: [HealthController, MetricsController, ReindexController, HealController, GenerationsController],
      providers: [
        { provide: IngestionRunner, useValue: deps.runner },
        { provide: ReindexService, useValue: deps.reindex },
        { provide: CollectionHealer, useValue: deps.healer ?? null },
        { provide: GenerationHistory, useValue: deps.history },
        { provide: Registry, useValue: deps.registry },
      ],
    };
  }
}
