/**
 * The query API service: the public HTTP API, the shoppers' web page and the
 * admin routes on QUERY_API_PORT, over the embedder and search (gRPC), the
 * event log (reindex requests, and reindex job state from the job store).
 *
 * This is the composition root, the one place that wires: the adapters
 * (startQueryApiService), the services over them and the HTTP app serving
 * them (createQueryApiApp, which the HTTP spec calls with fakes), all with `new`.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DescriberClient, EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { createEventLog, EventLogReindexJobStore, GoldenQueryLog } from '@vsearch/event-log';
import { SafeImageFetcher } from '@vsearch/image-fetch';
import { createLogger, type Logger } from '@vsearch/observability';
import { DecodeAdmissionGate } from '@vsearch/preprocessing';
import { EventLogReindexProgress } from './adapters/event-log.reindex-progress';
import { EventLogReindexPublisher } from './adapters/event-log.reindex-publisher';
import { GrpcProductDescriber } from './adapters/grpc.product-describer';
import { GrpcProductSearchIndex } from './adapters/grpc.product-search-index';
import { GrpcQueryEmbedder } from './adapters/grpc.query-embedder';
import { GrpcLabelTextEmbedder } from './adapters/grpc.label-text-embedder';
import { GrpcTaggingIndex } from './adapters/grpc.tagging-index';
import { HttpGenerations } from './adapters/http.generations';
import { EventLogGoldenQueryStore } from './adapters/event-log.golden-query-store';
import { SafeFetchRemoteImages } from './adapters/safe-fetch.remote-images';
import { SharpImagePreprocessor } from './adapters/sharp.image-preprocessor';
import { loadQueryApiConfig, type QueryApiConfig, type QueryApiConfigOverrides } from './config';
import { createHttpApp } from './http/http-app';
import { QueryApiMetrics } from './metrics/query-api.metrics';
import type { QueryApiPorts } from './ports';
import { ApiKeyVerifier } from './services/api-keys';
import { DecodeCostCharger } from './services/decode-cost';
import { LiveModelService } from './services/live-model.service';
import { ModelSettingsService } from './services/model-settings.service';
import { ProductSearchService } from './services/product-search.service';
import { QueryEmbeddingCache } from './services/query-embedding.cache';
import { TokenBucketRateLimiter } from './services/rate-limiter';
import { ReadinessService } from './services/readiness.service';
import { ReindexAdminService } from './services/reindex-admin.service';
import { GenerationsAdminService } from './services/generations-admin.service';
import { ClassifyService } from './services/classify.service';
import { DescribeService } from './services/describe.service';
import { LabelVectorService } from './services/label-vectors.service';
import { ProductDetailService } from './services/product-detail.service';
import { TaxonomyAdminService } from './services/taxonomy-admin.service';

export { loadQueryApiConfig, queryApiEnvSchema, type QueryApiConfig, type QueryApiConfigOverrides, type QueryApiEnv } from './config';

export interface RunningQueryApiService {
  port: number;
  /** `http://host:port` for logs and the CLI. */
  url: string;
  /** Stops taking requests, lets in-flight ones finish, closes the clients. */
  close(): Promise<void>;
}

export async function startQueryApiService(overrides: QueryApiConfigOverrides = {}, logger?: Logger): Promise<RunningQueryApiService> {
  const config = loadQueryApiConfig(overrides);
  const log = logger ?? createLogger('query-api', config.logLevel);

  const embedderClient = new EmbedderClient({ address: config.upstream.embedderAddr, defaultDeadlineMs: config.upstream.timeoutMs });
  const describerClient = new DescriberClient({ address: config.upstream.describerAddr, defaultDeadlineMs: config.upstream.describerTimeoutMs });
  const searchClient = new SearchClient({ address: config.upstream.searchAddr, defaultDeadlineMs: config.upstream.timeoutMs });
  const remoteImages = new SafeFetchRemoteImages(
    new SafeImageFetcher({
      allowHosts: config.images.fetchAllowHosts,
      maxBytes: config.images.maxUploadBytes,
      maxPixels: config.images.maxPixels,
      timeoutMs: config.images.fetchTimeoutMs,
    }),
  );
  // One limiter for the guard (a token per request) and the decode cost (the rest, by megapixels).
  const metrics = new QueryApiMetrics();
  const rateLimiter = new TokenBucketRateLimiter(config.rateLimit);
  const decodeCost = new DecodeCostCharger(config.rateLimit.enabled ? rateLimiter : undefined, config.rateLimit.megapixelsPerToken, metrics);
  const eventLog = createEventLog({ ...config.eventLog.kafka, dataDir: config.eventLog.dataDir, log: (level, message, extra) => log[level](extra, message) });
  const reindexPublisher = new EventLogReindexPublisher(eventLog, config.eventLog.reindexTopic);
  // Reads every job record ingestion replicas write (a consumer group of its own per process).
  const reindexJobs = new EventLogReindexJobStore(eventLog, {
    topic: config.eventLog.reindexJobsTopic,
    groupPrefix: 'vsearch-query-api',
    warn: (fields, message) => log.warn(fields, message),
  });
  reindexJobs.start();

  const app = await createQueryApiApp({
    config,
    logger: log,
    metrics,
    rateLimiter,
    ports: {
      embedder: new GrpcQueryEmbedder(embedderClient, config.upstream.timeoutMs),
      searchIndex: new GrpcProductSearchIndex(searchClient, config.upstream.timeoutMs),
      remoteImages,
      preprocessor: new SharpImagePreprocessor(
        { maxBytes: config.images.maxUploadBytes, maxPixels: config.images.maxPixels },
        new DecodeAdmissionGate(config.images.decode),
        (context, width, height) => decodeCost.chargeDecode(context, width, height),
      ),
      reindexPublisher,
      reindexProgress: new EventLogReindexProgress(reindexJobs),
      generations: new HttpGenerations(config.upstream.ingestionUrl, config.upstream.timeoutMs),
      goldenQueries: new EventLogGoldenQueryStore(new GoldenQueryLog(eventLog, config.eventLog.goldenQueriesTopic)),
      tagging: new GrpcTaggingIndex(searchClient, config.upstream.timeoutMs),
      labelEmbedder: new GrpcLabelTextEmbedder(embedderClient, config.upstream.timeoutMs),
      describer: new GrpcProductDescriber(describerClient, config.upstream.describerTimeoutMs),
    },
  });
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address() as { port: number };
  const shownHost = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  log.info(
    {
      port: address.port,
      embedder: config.upstream.embedderAddr,
      search: config.upstream.searchAddr,
      eventLog: eventLog.kind,
      catalogImages: config.images.catalogImagesDir ?? null,
      decodeSlots: config.images.decode.concurrency,
      decodeQueue: config.images.decode.queueLimit,
      // Set by main.ts before the pool's first use; unset when started in-process without it (libuv's 4).
      threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    },
    'query-api serving',
  );

  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    close() {
      closing ??= (async () => {
        await app.close();
        await reindexJobs.close();
        await reindexPublisher.close();
        remoteImages.close();
        embedderClient.close();
        describerClient.close();
        searchClient.close();
        log.info('query-api stopped');
      })();
      return closing;
    },
  };
}

export interface QueryApiAppOptions {
  config: QueryApiConfig;
  /** Every I/O boundary: the real adapters in the service, fakes in the HTTP spec. */
  ports: QueryApiPorts;
  logger: Logger;
  metrics?: QueryApiMetrics;
  /** The limiter the rate-limit guard takes from; pass the one the preprocessor charges photos to. */
  rateLimiter?: TokenBucketRateLimiter;
}

/** The query API's services over `ports`, served by its HTTP application (initialised, not yet listening). */
export async function createQueryApiApp({
  config,
  ports,
  logger,
  metrics = new QueryApiMetrics(),
  rateLimiter = new TokenBucketRateLimiter(config.rateLimit),
}: QueryApiAppOptions): Promise<NestExpressApplication> {
  const modelSettings = new ModelSettingsService(ports.embedder, { textScoreThresholdOverride: config.search.textScoreThreshold });
  const productSearch = new ProductSearchService(
    ports.embedder,
    ports.searchIndex,
    ports.remoteImages,
    ports.preprocessor,
    modelSettings,
    new LiveModelService(ports.searchIndex),
    new QueryEmbeddingCache(config.search.queryCacheSize),
    metrics,
    { maxUploadBytes: config.images.maxUploadBytes, fusion: config.search.fusion },
  );
  const labelVectors = new LabelVectorService(ports.labelEmbedder, modelSettings);
  const productDetails = new ProductDetailService(ports.tagging);
  return createHttpApp({
    config,
    logger,
    metrics,
    productSearch,
    reindex: new ReindexAdminService(ports.reindexPublisher, ports.reindexProgress, { stalledAfterMs: config.admin.reindexStalledAfterMs }, logger),
    generations: new GenerationsAdminService(ports.generations, ports.reindexPublisher, ports.reindexProgress, ports.goldenQueries, logger),
    readiness: new ReadinessService(ports.embedder, ports.searchIndex),
    apiKeys: new ApiKeyVerifier(config.admin.apiKeys),
    rateLimiter,
    taxonomies: new TaxonomyAdminService(ports.tagging, labelVectors, logger),
    classifier: new ClassifyService(ports.embedder, ports.tagging, ports.remoteImages, ports.preprocessor, labelVectors, modelSettings, {
      maxUploadBytes: config.images.maxUploadBytes,
    }),
    productDetails,
    describer: new DescribeService(ports.describer, ports.remoteImages, ports.preprocessor, productDetails, {
      maxUploadBytes: config.images.maxUploadBytes,
    }),
  });
}
