/**
 * The query API's Nest module. Nest serves HTTP only: index.ts builds the
 * services, and this module hands them to the controllers, guards and
 * interceptors as values keyed by class. Nothing here builds logic.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import type { Logger } from '@vsearch/observability';
import type { QueryApiConfig } from '../config';
import { QueryApiMetrics } from '../metrics/query-api.metrics';
import { ApiKeyVerifier } from '../services/api-keys';
import { ProductSearchService } from '../services/product-search.service';
import type { TokenBucketRateLimiter } from '../services/rate-limiter';
import { ReadinessService } from '../services/readiness.service';
import { ReindexAdminService } from '../services/reindex-admin.service';
import { GenerationsAdminService } from '../services/generations-admin.service';
import { ClassifyService } from '../services/classify.service';
import { DescribeService } from '../services/describe.service';
import { ProductDetailService } from '../services/product-detail.service';
import { TaxonomyAdminService } from '../services/taxonomy-admin.service';
import { AdminController } from './controllers/admin.controller';
import { ClassifyController } from './controllers/classify.controller';
import { GenerationsAdminController } from './controllers/generations-admin.controller';
import { DescribeController } from './controllers/describe.controller';
import { ProductDetailController } from './controllers/product-detail.controller';
import { TaggingAdminController } from './controllers/tagging-admin.controller';
import { HealthController } from './controllers/health.controller';
import { ProductsController } from './controllers/products.controller';
import { SearchController } from './controllers/search.controller';
import { ErrorFilter } from './error.filter';
import { HttpSettings } from './http-settings';
import { RateLimitGuard } from './rate-limit.guard';

/** What the HTTP layer serves: the config, and the objects index.ts built. */
export interface QueryApiHttpDeps {
  config: QueryApiConfig;
  logger: Logger;
  metrics: QueryApiMetrics;
  productSearch: ProductSearchService;
  reindex: ReindexAdminService;
  generations: GenerationsAdminService;
  readiness: ReadinessService;
  apiKeys: ApiKeyVerifier;
  rateLimiter: TokenBucketRateLimiter;
  taxonomies: TaxonomyAdminService;
  classifier: ClassifyService;
  productDetails: ProductDetailService;
  describer: DescribeService;
}

@Module({})
export class QueryApiHttpModule {
  static register({
    config,
    logger,
    metrics,
    productSearch,
    reindex,
    generations,
    readiness,
    apiKeys,
    rateLimiter,
    taxonomies,
    classifier,
    productDetails,
    describer,
  }: QueryApiHttpDeps): DynamicModule {
    const rateLimit = config.rateLimit.enabled ? [{ provide: APP_GUARD, useValue: new RateLimitGuard(rateLimiter, apiKeys, new Reflector(), metrics) }] : [];
    return {
      module: QueryApiHttpModule,
      imports: [
        // One file, no other parts: anything else in the form is a client mistake (400).
        MulterModule.register({ limits: { fileSize: config.images.maxUploadBytes, files: 1, fields: 0, parts: 1 } }),
      ],
      controllers: [
        SearchController,
        ProductsController,
        ProductDetailController,
        ClassifyController,
        DescribeController,
        AdminController,
        GenerationsAdminController,
        TaggingAdminController,
        HealthController,
      ],
      providers: [
        { provide: ProductSearchService, useValue: productSearch },
        { provide: ReindexAdminService, useValue: reindex },
        { provide: GenerationsAdminService, useValue: generations },
        { provide: TaxonomyAdminService, useValue: taxonomies },
        { provide: ClassifyService, useValue: classifier },
        { provide: ProductDetailService, useValue: productDetails },
        { provide: DescribeService, useValue: describer },
        { provide: ReadinessService, useValue: readiness },
        { provide: ApiKeyVerifier, useValue: apiKeys },
        { provide: QueryApiMetrics, useValue: metrics },
        { provide: HttpSettings, useValue: new HttpSettings(config.upstream.retryAfterSeconds, config.images.maxUploadBytes) },
        ...rateLimit,
        { provide: APP_FILTER, useValue: new ErrorFilter(config.upstream.retryAfterSeconds, logger, metrics) },
      ],
    };
  }
}
