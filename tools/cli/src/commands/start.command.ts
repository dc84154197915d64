import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { catalogTopicNames, type EventLog } from '@vsearch/event-log';
import { followReindexJob } from '../api/follow-reindex';
import { QueryApiClient } from '../api/query-api.client';
import { integerArg } from '../cli/arguments';
import { CliError } from '../cli/errors';
import { countCatalogEvents } from '../catalog/catalog-file';
import { GeneratingCatalogFeed } from '../catalog/generating-feed';
import { publishCatalog } from '../catalog/publish-catalog';
import { fileSha256, isAlreadyPublished, readPublishMarker, writePublishMarker } from '../catalog/publish-marker';
import { inspectSampleCatalog, type SampleCatalog } from '../catalog/sample-catalog';
import { createProgress } from '../output/progress';
import { ensureEmbeddedAdminKey } from '../stack/admin-key';
import { catalogExpectation } from '../stack/catalog-expectation';
import { consumerProgress, endOffsetSum } from '../stack/consumer-progress';
import { openEventLog } from '../stack/event-log';
import { probeSearch, servingCollection } from '../stack/probes';
import { SERVICE_NAMES } from '../stack/services';
import { withTimeout } from '../stack/signals';
import { freePort, startStack, type RunningStack } from '../stack/stack';
import { StopController, STOPPED } from '../stack/stop-controller';
import { LOOPBACK, customPortAssignments, defaultQueryApiUrl, readStackWiring, type StackWiring } from '../stack/wiring';

export const DEFAULT_SAMPLE_COUNT = 2000;
export const DEFAULT_SAMPLE_SEED = 42;
/** The ingestion service's consumer group and topic prefix (its CONSUMER_GROUP and TOPIC_PREFIX, same defaults). */
const consumerGroup = () => process.env.CONSUMER_GROUP?.trim() || 'vsearch-ingestion';
const topics = () => catalogTopicNames(process.env.TOPIC_PREFIX ?? '');
const STOP_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 120_000;
const STALL_WARNING_MS = 60_000;

interface StartOptions {
  count?: number;
  seed: number;
  /** Ingestion writes alt text (DESCRIBE_IMAGES=true). */
  describeImages?: boolean;
}

/**
 * `vsearch start` (`npm start`): the whole product on this machine with embedded
 * adapters. Generates the sample catalog once, starts the four services in this
 * process, feeds the catalog through the embedded event log into ingestion (only
 * when that catalog was not published before), shows indexing progress, and
 * serves the web page until Ctrl-C, which stops everything.
 */
export function registerCommand(program: Command): void {
  program
    .command('start')
    .description('run the whole product on this machine (embedded event log and vector store, bundled model on CPU) and index the sample catalog')
    .option('--count <n>', `products in the sample catalog, when it is generated (default ${DEFAULT_SAMPLE_COUNT})`, integerArg('--count', 1, 1_000_000))
    .option('--seed <n>', 'seed of the sample catalog', integerArg('--seed', 0, 2 ** 31), DEFAULT_SAMPLE_SEED)
    .option(
      '--describe-images',
      "write alt text: ingestion describes every image it indexes with the embedder's describer (DESCRIBE_IMAGES=true); products indexed before get theirs on a reindex",
    )
    .addHelpText(
      'after',
      [
        '',
        'Environment (all optional):',
        '  DATA_DIR            where the catalog, event log, vector store and admin key live (./data)',
        '  QUERY_API_PORT      the web page and HTTP API (8080); EMBEDDER_PORT (50051), SEARCH_PORT (50052),',
        '                      INGESTION_PORT (8081), EMBEDDER_METRICS_PORT (9464), SEARCH_METRICS_PORT (9465);',
        '                      0 picks a free port for the internal ones',
        "  EXECUTION_PROVIDERS the embedder's onnxruntime providers (cpu here)",
        '  ADMIN_API_KEYS      admin keys of the query API (default: a key generated into DATA_DIR/admin-api-key)',
        "  LOG_LEVEL           the services' JSON logs (warn)",
        '  DESCRIBE_IMAGES     true: alt text for every indexed image, as --describe-images',
        '  KAFKA_BROKERS, QDRANT_URL   use real backends instead of the embedded ones',
        '',
        'A second start reuses the catalog and the index and is ready in seconds.',
      ].join('\n'),
    )
    .action(async (options: StartOptions) => {
      const stop = new StopController((signal) => {
        process.stderr.write(`vsearch: second ${signal}, exiting without waiting\n`);
        process.exit(130);
      });
      let generatorStillRunning = false;
      let failed = false;
      try {
        await runEmbeddedStack(options, stop, (running) => (generatorStillRunning = running));
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        // A stop in the middle of generating: the generator cannot be cancelled, and its half catalog is redone next time.
        if (generatorStillRunning && !failed) process.exit(0);
        // Every service is closed; anything still holding the event loop is a leak, not a reason to hang.
        setTimeout(() => {
          process.stderr.write('vsearch: some handles were still open after stopping; exiting anyway\n');
          process.exit(process.exitCode ?? 0);
        }, 3000).unref();
      }
    });
}

async function runEmbeddedStack(options: StartOptions, stop: StopController, setGeneratorRunning: (running: boolean) => void): Promise<void> {
  const environment = process.env;
  const wiring = readStackWiring(environment, { logLevel: 'warn' });
  // The catalog's image URLs name the query API's port, so "any free port" is chosen here.
  if (wiring.ports.queryApi === 0) wiring.ports.queryApi = await freePort();
  mkdirSync(wiring.dataDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const publicUrl = `http://localhost:${wiring.ports.queryApi}`;
  const imageBaseUrl = `http://${LOOPBACK}:${wiring.ports.queryApi}/catalog-images`;
  say(`vsearch: starting the embedded stack (data in ${wiring.dataDir})`);

  const catalog = await inspectSampleCatalog(wiring.dataDir);
  if (catalog.state === 'complete') describeExistingCatalog(catalog, options, wiring, imageBaseUrl);

  const adminKey = environment.ADMIN_API_KEYS ? undefined : ensureEmbeddedAdminKey(wiring.dataDir);
  const stack = await startStack({
    services: SERVICE_NAMES,
    wiring,
    environment,
    extra: {
      catalogImagesDir: catalog.imagesDir,
      adminApiKeys: adminKey ? [adminKey] : undefined,
      // Only the catalog images of the query API's own address: its other routes (/metrics, /v1, admin) stay refused like any loopback URL.
      allowHosts: [`${imageBaseUrl}/`],
      executionProviders: 'cpu',
      internalOnLoopback: true,
      describeImages: options.describeImages,
    },
    onServiceStarted: (name, service, elapsedMs) =>
      say(`  ${name} started${service.port ? ` on port ${service.port}` : ''} (${(elapsedMs / 1000).toFixed(1)} s)`),
  });
  let eventLog: EventLog | undefined;
  try {
    if (stop.isStopped) return;
    const api = new QueryApiClient(`http://${LOOPBACK}:${stack.queryApiPort}`, { timeoutMs: 5000 });
    if ((await stop.race(waitUntilReady(api, stop))) === STOPPED) return;
    say(`the web page is up at ${publicUrl} (results grow while the catalog is indexed)`);

    eventLog = await openEventLog({ kafkaBrokers: environment.KAFKA_BROKERS, dataDir: wiring.dataDir, topicPrefix: environment.TOPIC_PREFIX });
    const deadLettersBefore = await endOffsetSum(eventLog, topics().deadLetters);
    const embedderModel = (stack.services.get('embedder') as { modelId?: string } | undefined)?.modelId;
    try {
      if ((await reindexIfModelChanged(api, stack, embedderModel, adminKey ?? environment.ADMIN_API_KEYS?.split(',')[0]?.trim(), stop)) === STOPPED) return;
    } catch (error) {
      // The stack still serves; the user can retry with `vsearch reindex --wait`.
      process.stderr.write(`vsearch: ${(error as Error).message}\nvsearch: searches may fail until the index is rebuilt: npx vsearch reindex --wait\n`);
    }

    const destination = environment.KAFKA_BROKERS ? `kafka:${environment.KAFKA_BROKERS}` : 'embedded';
    if (catalog.state === 'complete') {
      if ((await publishIfNeeded(eventLog, catalog, destination, wiring, stop)) === STOPPED) return;
      const servingProducts = async () => servingCollection((await probeSearch(stack.addresses.searchAddr)).collections)?.productCount;
      if ((await followIndexing(eventLog, stop, undefined, servingProducts)) === STOPPED) return;
    } else {
      const count = options.count ?? DEFAULT_SAMPLE_COUNT;
      say(`  generating the sample catalog (${count} products, seed ${options.seed}) into ${catalog.dir}, indexing it as it grows`);
      const feed = new GeneratingCatalogFeed(eventLog, catalog, { seed: options.seed, count, baseUrl: imageBaseUrl }, topics().products);
      const eventsBefore = await endOffsetSum(eventLog, topics().products);
      feed.start();
      setGeneratorRunning(true);
      const log = eventLog;
      const followed = await followIndexing(log, stop, {
        feed,
        expectedTotal: eventsBefore + count,
        onFed: async () => {
          // From here on a restart reuses the catalog and does not publish it again.
          const complete = await feed.result();
          await writePublishMarker(wiring.dataDir, {
            destination,
            catalogFile: complete.catalogFile,
            sha256: await fileSha256(complete.catalogFile),
            events: feed.published,
            publishedAt: new Date().toISOString(),
          });
        },
      });
      setGeneratorRunning(feed.running);
      if (followed === STOPPED) return;
      say(`  generated and published ${feed.published} catalog events${feed.invalid ? ` (${feed.invalid} invalid lines skipped)` : ''}`);
    }

    const deadLetters = (await endOffsetSum(eventLog, topics().deadLetters)) - deadLettersBefore;
    const search = await probeSearch(stack.addresses.searchAddr);
    const serving = servingCollection(search.collections);
    say('');
    say(`vsearch is ready: ${publicUrl}  (${process.uptime().toFixed(1)} s after start)`);
    if (serving)
      say(
        `  ${serving.productCount} products (${serving.pointCount} images) in ${serving.name}, model ${serving.modelId}${deadLetters > 0 ? `; ${deadLetters} events dead-lettered this run` : ''}`,
      );
    // Other vsearch commands find this stack only with the same port variables, so the hint carries them.
    const ports = customPortAssignments(wiring);
    const apiUrlArgument = publicUrl === defaultQueryApiUrl() ? '' : ` --api-url ${publicUrl}`;
    say(`  try: npx vsearch search${apiUrlArgument} "red dress"   |   ${ports}npx vsearch status   |   API docs: ${publicUrl}/docs`);
    say('  Ctrl-C stops everything.');
    await stop.stopped;
  } finally {
    if (stop.isStopped) say(`vsearch: ${stop.receivedSignal}, stopping…`);
    await eventLog?.close().catch(() => undefined);
    await closeStack(stack);
    say('vsearch: stopped');
  }
}

function describeExistingCatalog(catalog: SampleCatalog, options: StartOptions, wiring: StackWiring, imageBaseUrl: string): void {
  process.stdout.write(`  using the catalog in ${catalog.dir}\n`);
  if (catalog.info && options.count !== undefined && catalog.info.count !== options.count) {
    process.stdout.write(
      `  note: it has ${catalog.info.count} products; --count ${options.count} applies to a fresh DATA_DIR (delete ${wiring.dataDir} or set DATA_DIR)\n`,
    );
  }
  if (catalog.info && catalog.info.baseUrl !== imageBaseUrl) {
    process.stdout.write(
      `  note: its image URLs point at ${catalog.info.baseUrl}, not this query API (${imageBaseUrl}); start with the same QUERY_API_PORT or a fresh DATA_DIR\n`,
    );
  }
}

async function waitUntilReady(api: QueryApiClient, stop: StopController): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (!stop.isStopped) {
    try {
      const readiness = await api.readiness();
      if (readiness.httpStatus === 200) return;
      last = `not ready: ${readiness.missing.join(', ') || readiness.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new CliError(`the query API did not become ready within ${READY_TIMEOUT_MS / 1000} s (${last})`);
    await stop.sleep(250);
  }
}

async function publishIfNeeded(
  eventLog: EventLog,
  catalog: SampleCatalog,
  destination: string,
  wiring: StackWiring,
  stop: StopController,
): Promise<void | typeof STOPPED> {
  const sha256 = await fileSha256(catalog.catalogFile);
  const eventsInTopic = await endOffsetSum(eventLog, topics().products);
  const marker = await readPublishMarker(wiring.dataDir);
  if (isAlreadyPublished(marker, { destination, sha256, eventsInTopic })) {
    process.stdout.write(`  the catalog was published before (${marker!.events} events): not publishing again\n`);
    return;
  }
  const { valid, invalid } = await countCatalogEvents(catalog.catalogFile);
  const progress = createProgress({ label: 'publishing the catalog', unit: 'lines', total: valid + invalid });
  const summary = await stop.race(publishCatalog(eventLog, catalog.catalogFile, { topic: topics().products, onProgress: (lines) => progress.update(lines) }));
  progress.finish();
  if (summary === STOPPED) return STOPPED;
  await writePublishMarker(wiring.dataDir, {
    destination,
    catalogFile: catalog.catalogFile,
    sha256,
    events: summary.published,
    publishedAt: new Date().toISOString(),
  });
  process.stdout.write(
    `  published ${summary.published} catalog events to ${destination === 'embedded' ? 'the embedded event log' : destination}${summary.invalid ? ` (${summary.invalid} invalid lines skipped)` : ''}\n`,
  );
}

/**
 * An index built with another model cannot serve this one's vectors (ingestion refuses to write
 * to it): rebuild it into a new generation through the admin API, as a merchandiser would.
 */
async function reindexIfModelChanged(
  api: QueryApiClient,
  stack: RunningStack,
  embedderModel: string | undefined,
  adminKey: string | undefined,
  stop: StopController,
): Promise<void | typeof STOPPED> {
  const serving = servingCollection((await probeSearch(stack.addresses.searchAddr)).collections);
  if (!serving || !embedderModel || serving.modelId === embedderModel) return;
  process.stdout.write(`  the index (${serving.name}) holds vectors of ${serving.modelId}, the embedder runs ${embedderModel}: rebuilding it\n`);
  if (!adminKey) throw new CliError('cannot request the reindex: no admin API key (ADMIN_API_KEYS is empty)');
  const client = new QueryApiClient(api.baseUrl, { apiKey: adminKey, timeoutMs: 10_000 });
  const { jobId } = await client.requestReindex({ reason: `npm start: model changed from ${serving.modelId} to ${embedderModel}` });
  const job = await followReindexJob(client, jobId, {
    pollMs: 500,
    sleep: async (ms) => {
      await stop.sleep(ms);
      return stop.isStopped;
    },
  });
  if (!job) return STOPPED;
  if (job.state === 'failed') throw new CliError(`the reindex to ${embedderModel} failed: ${job.error ?? 'no reason given'}`);
  process.stdout.write(`  rebuilt the index with ${embedderModel}: ${job.done} products in ${job.collection}\n`);
}

interface FeedWhileIndexing {
  feed: GeneratingCatalogFeed;
  /** Events the topic will hold once the feed is done. */
  expectedTotal: number;
  /** Called once the whole catalog is generated and published (before indexing ends). */
  onFed: () => Promise<void>;
}

/**
 * Shows ingestion's progress through the products topic (its committed offsets against the
 * log end) until every event is processed; with a feed, also publishes the catalog as it is
 * generated, and the end is when both are done.
 */
async function followIndexing(
  eventLog: EventLog,
  stop: StopController,
  feeding?: FeedWhileIndexing,
  servingProducts?: () => Promise<number | undefined>,
): Promise<void | typeof STOPPED> {
  const read = () => consumerProgress(eventLog, consumerGroup(), topics().products);
  let state = await read();
  if (!feeding && state.done >= state.total) {
    // Every event processed says nothing about a store that lost data since: compare with what the catalog log says it should hold.
    const expectation = await catalogExpectation(eventLog, topics());
    const held = await servingProducts?.();
    if (held === expectation.expectedProducts) {
      process.stdout.write(`  the index is up to date (${state.total} events processed, ${expectation.expectedProducts} products)\n`);
    } else if (held === undefined) {
      process.stdout.write(`  ${state.total} events processed; the index's product count could not be read (npx vsearch status)\n`);
    } else {
      process.stdout.write(
        `  the index holds ${held} products but the catalog log says ${expectation.expectedProducts}` +
          `${expectation.deadLettered ? ` (${expectation.deadLettered} more are dead letters: npx vsearch dlq list)` : ''}` +
          `; a damaged index is rebuilt from the log by ingestion (npx vsearch status shows it)\n`,
      );
    }
    return;
  }
  let fed = !feeding;
  const totalNow = () => Math.max(state.total, fed ? 0 : (feeding?.expectedTotal ?? 0));
  const progress = createProgress({
    label: 'indexing',
    unit: 'products',
    total: totalNow(),
    detail: feeding ? () => (fed ? 'catalog generated' : `generated ${feeding.feed.generated}/${feeding.feed.total}`) : undefined,
  });
  progress.update(state.done);
  let lastChange = Date.now();
  let warned = false;
  try {
    while (!fed || state.done < state.total) {
      if (feeding && !fed) {
        fed = await feeding.feed.tick();
        if (fed) await feeding.onFed();
      }
      await stop.sleep(fed ? 500 : 250);
      if (stop.isStopped) return STOPPED;
      const next = await read();
      if (next.done !== state.done || !fed) lastChange = Date.now();
      state = next;
      progress.update(state.done, totalNow());
      if (!warned && Date.now() - lastChange > STALL_WARNING_MS) {
        warned = true;
        process.stderr.write(`\nvsearch: indexing made no progress for ${STALL_WARNING_MS / 1000} s; see the services' logs (LOG_LEVEL=info npm start)\n`);
      }
    }
  } finally {
    progress.finish();
  }
}

async function closeStack(stack: RunningStack): Promise<void> {
  try {
    await withTimeout(stack.close(), STOP_TIMEOUT_MS, `the services did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
