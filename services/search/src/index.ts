/**
 * The search service's composition root, the one place that wires it: opens
 * the vector store (Qdrant when QDRANT_URL is set, else the embedded store
 * under DATA_DIR/vector-store), builds the gRPC handler on it with `new`, serves
 * visualsearch.search.v1.SearchService over gRPC (health SERVING once the store
 * is open) and Prometheus metrics over HTTP.
 *
 * Damage: the embedded store keeps a collection whose files fail verification
 * and marks it damaged; the service stays up and live (health '' SERVING),
 * reports that collection NOT_SERVING under
 * `visualsearch.search.v1.SearchService/<collection or alias>` (CollectionHealth),
 * exports `vsearch_search_collection_damaged`, logs the remedy once, and
 * answers its reads and writes FAILED_PRECONDITION naming the damage.
 *
 * First start: no collection exists and the alias `products` points nowhere;
 * writes and searches through it fail FAILED_PRECONDITION until a caller runs
 * CreateCollection + SwapAlias("products", ...). Ingestion does this at
 * start-up (it knows the model id and dimension); search never guesses them.
 */
import { startGrpcServer } from '@vsearch/grpc-kit';
import { createLogger, createMetricsRegistry, startMetricsServer, type Logger } from '@vsearch/observability';
import { SEARCH_PROTO, searchV1 } from '@vsearch/proto';
import { EmbeddedVectorStore, QdrantVectorStore, type VectorStore } from '@vsearch/vector-store';
import { loadSearchConfig, type SearchConfig, type SearchConfigOverrides } from './config';
import { SearchGrpcHandler } from './grpc/search.grpc-handler';
import { CollectionHealth } from './health/collection-health';
import { SearchMetrics } from './metrics/search.metrics';
import { TaggingService } from './services/tagging.service';

export { loadSearchConfig, searchEnvSchema, type SearchConfig, type SearchConfigOverrides, type SearchEnv } from './config';

export const SEARCH_SERVICE_NAME = 'visualsearch.search.v1.SearchService';

export interface RunningSearchService {
  port: number;
  metricsPort: number;
  /** 'embedded' or 'qdrant'. */
  store: string;
  /** Stops taking calls, lets in-flight ones finish, flushes and closes the store. */
  close(): Promise<void>;
}

export async function startSearchService(overrides: SearchConfigOverrides = {}, logger?: Logger): Promise<RunningSearchService> {
  const config = loadSearchConfig(overrides);
  const log = logger ?? createLogger('search', config.logLevel);
  const store = createVectorStore(config.store, log);
  await store.open();
  const registry = createMetricsRegistry('search');
  const metrics = new SearchMetrics(registry, store);
  // Bound late: the health service exists once the server does, and the handler refreshes it after admin calls.
  let setHealth: (service: string, status: 'SERVING' | 'NOT_SERVING') => void = () => undefined;
  const collectionHealth = new CollectionHealth(store, SEARCH_SERVICE_NAME, (service, status) => setHealth(service, status), log);

  const tagging = new TaggingService(store, metrics, log, { refreshMs: config.taggingRefreshMs, leaseMs: config.retagLeaseMs });
  await tagging.open();
  const handler = new SearchGrpcHandler(store, tagging, metrics, log, collectionHealth);

  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  let server: Awaited<ReturnType<typeof startGrpcServer>> | undefined;
  try {
    metricsServer = await startMetricsServer(registry, config.metricsPort, config.grpc.host);
    server = await startGrpcServer({
      host: config.grpc.host,
      port: config.grpc.port,
      services: [{ name: SEARCH_SERVICE_NAME, definition: searchV1.SearchServiceService, implementation: handler.implementation() }],
      reflectionProtos: [SEARCH_PROTO],
      maxReceiveMessageBytes: config.grpc.maxReceiveMessageBytes,
      maxSendMessageBytes: config.grpc.maxSendMessageBytes,
    });
  } catch (error) {
    await metricsServer?.close();
    await store.close();
    throw error;
  }
  server.setServing(true);
  setHealth = server.setStatus;
  await collectionHealth.refresh();
  log.info({ port: server.port, metricsPort: metricsServer.port, store: config.store.kind }, 'search serving');

  const grpcServer = server;
  const runningMetrics = metricsServer;
  let closing: Promise<void> | undefined;
  return {
    port: grpcServer.port,
    metricsPort: runningMetrics.port,
    store: config.store.kind,
    close() {
      closing ??= (async () => {
        grpcServer.setServing(false);
        collectionHealth.stop();
        await grpcServer.shutdown(config.grpc.shutdownGraceMs);
        await tagging.close();
        await store.close();
        await runningMetrics.close();
        log.info('search stopped');
      })();
      return closing;
    },
  };
}

/** The vector-store adapter the configuration asks for: Qdrant when QDRANT_URL is set, else the embedded store under DATA_DIR. */
function createVectorStore(settings: SearchConfig['store'], logger: Logger): VectorStore {
  if (settings.kind === 'qdrant') {
    const { qdrant } = settings;
    // The API key is passed to the client only; never logged.
    logger.info({ url: qdrant.url, hnsw: qdrant.hnsw, quantization: qdrant.quantization, apiKey: qdrant.apiKey ? 'set' : 'unset' }, 'using Qdrant');
    return new QdrantVectorStore({
      url: qdrant.url,
      apiKey: qdrant.apiKey,
      timeoutMs: qdrant.timeoutMs,
      retries: qdrant.retries,
      upsertBatch: qdrant.upsertBatch,
      hnsw: qdrant.hnsw,
      quantization: qdrant.quantization,
    });
  }
  logger.info({ dir: settings.dir, durable: settings.durable }, 'using the embedded vector store');
  return new EmbeddedVectorStore({
    dir: settings.dir,
    durable: settings.durable,
    log: logger,
    index: { exactSearchBelow: settings.exactSearchBelow, nprobe: settings.nprobe, scanThreads: settings.scanThreads === 2 ? 2 : 1 },
  });
}
