/** The query API's Nest module: controllers, the logic services and the ports they depend on. */
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import type { Logger } from '@vsearch/observability';
import type { QueryApiConfig } from './config';
import { AdminController } from './controllers/admin.controller';
import { HealthController } from './controllers/health.controller';
import { ProductsController } from './controllers/products.controller';
import { SearchController } from './controllers/search.controller';
import { ErrorFilter } from './http/error.filter';
import { AdminApiKeyGuard, RateLimitGuard } from './http/guards';
import { QueryApiMetrics } from './http/metrics';
import { UploadSizeInterceptor } from './http/upload-size.interceptor';
import {
  ImagePreprocessor,
  ProductIndex,
  QueryEmbedder,
  ReindexProgressSource,
  ReindexRequestPublisher,
  RemoteImageSource,
  type QueryApiPorts,
} from './ports';
import { ApiKeyVerifier } from './services/api-keys';
import { ModelSettingsService } from './services/model-settings.service';
import { ProductSearchService } from './services/product-search.service';
import { TokenBucketRateLimiter } from './services/rate-limiter';
import { ReadinessService } from './services/readiness.service';
import { ReindexService } from './services/reindex.service';
import { QUERY_API_CONFIG, QUERY_API_LOGGER } from './tokens';

export interface QueryApiModuleDeps {
  config: QueryApiConfig;
  ports: QueryApiPorts;
  logger: Logger;
  metrics: QueryApiMetrics;
}

@Module({})
export class QueryApiModule {
  static register({ config, ports, logger, metrics }: QueryApiModuleDeps): DynamicModule {
    return {
      module: QueryApiModule,
      imports: [
        // One file, no other parts: anything else in the form is a client mistake (400).
        MulterModule.register({ limits: { fileSize: config.images.maxUploadBytes, files: 1, fields: 0, parts: 1 } }),
      ],
      controllers: [SearchController, ProductsController, AdminController, HealthController],
      providers: [
        { provide: QUERY_API_CONFIG, useValue: config },
        { provide: QUERY_API_LOGGER, useValue: logger },
        { provide: QueryApiMetrics, useValue: metrics },
        { provide: QueryEmbedder, useValue: ports.embedder },
        { provide: ProductIndex, useValue: ports.productIndex },
        { provide: RemoteImageSource, useValue: ports.remoteImages },
        { provide: ImagePreprocessor, useValue: ports.preprocessor },
        { provide: ReindexRequestPublisher, useValue: ports.reindexPublisher },
        { provide: ReindexProgressSource, useValue: ports.reindexProgress },
        { provide: TokenBucketRateLimiter, useValue: new TokenBucketRateLimiter(config.rateLimit) },
        { provide: ApiKeyVerifier, useValue: new ApiKeyVerifier(config.admin.apiKeys) },
        ModelSettingsService,
        ProductSearchService,
        ReindexService,
        ReadinessService,
        AdminApiKeyGuard,
        UploadSizeInterceptor,
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
