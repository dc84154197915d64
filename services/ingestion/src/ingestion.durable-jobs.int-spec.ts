/**
 * Durable reindex jobs end to end: a whole-catalog reindex requested through the admin API and
 * followed with `vsearch reindex --job ID` while the ingestion replica running it is restarted.
 * Progress is readable from both replicas and from the query API throughout; the job ends done
 * exactly once (one `done` record on the jobs topic, never `failed`); the generation the
 * interrupted run was filling does not outlive the job.
 *
 * real: an Apache Kafka broker (KAFKA_BROKERS or tools/kafka/kafka.sh), the embedder (bundled
 * model, CPU), search (embedded store), two ingestion replicas and the query API as child
 * processes started from their `main.ts` (the @vsearch/testing harness), the CLI as a child
 * process, a local HTTP image host with a generated catalog.
 * mock: nothing. Topics and consumer groups carry a prefix of their own.
 *
 * No timing assertions: the slow image host keeps the replay running long enough to restart the
 * replica in the middle of it, and the moment is chosen by observing the job's progress.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseReindexJobRecord, type CollectionInfo, type ReindexJob } from '@vsearch/contracts';
import { catalogTopicNames, catalogTopicSpecs, KafkaEventLog } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { SearchClient } from '@vsearch/grpc-clients';
import { spawnCli, startService, waitFor, type CliProcess, type RunningService } from '@vsearch/testing';
import { generateTestCatalog, startImageHost, type ImageHost, type TestCatalog } from './testing/fixtures';

jest.setTimeout(600_000);

const PRODUCTS = 24;
const ADMIN_KEY = 'durable-jobs-test-key';
/** Far beyond what the design needs here; a loaded 2-core machine may be 10× slower. */
const DEADLINE_MS = 300_000;

describe('durable reindex jobs across an ingestion restart, with two replicas', () => {
  let embedder: RunningService;
  let search: RunningService;
  let queryApi: RunningService;
  const replicas: RunningService[] = [];
  let searchClient: SearchClient;
  let host: ImageHost;
  let catalog: TestCatalog;
  let log: KafkaEventLog;
  let follower: CliProcess | undefined;
  const topics = catalogTopicNames(uniqueTopicPrefix('jobs'));
  const prefix = topics.products.replace('catalog.products.v1', '');
  const dirs: string[] = [];
  const tempDir = (label: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `durable-jobs-${label}-`));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    const brokers = await kafkaBrokersForTests();
    const catalogDir = tempDir('catalog');
    // 400 ms per image, 2 fetches at once per replica: the replay of the catalog takes seconds.
    host = await startImageHost(path.join(catalogDir, 'images'), { delayMs: 400 });
    catalog = await generateTestCatalog(2011, PRODUCTS, host.baseUrl, catalogDir);
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'durable-jobs-test' });
    await log.ensureTopics(catalogTopicSpecs(prefix));
    await log.publish(
      topics.products,
      catalog.lines.map((line, i) => ({ key: catalog.productIds[i], value: line })),
    );
    [embedder, search] = await Promise.all([startService('embedder'), startService('search', { dataDir: tempDir('search') })]);
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 10_000 });
    const ingestionEnv = {
      KAFKA_BROKERS: brokers,
      TOPIC_PREFIX: prefix,
      CONSUMER_GROUP: `${prefix}ingestion`,
      IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${host.port}`,
      IMAGE_FETCH_CONCURRENCY: 2,
      EVENTS_PER_CHUNK: 2,
      COLLECTIONS_REFRESH_MS: 500,
      DEPENDENCY_RETRY_BASE_MS: 300,
      DEPENDENCY_RETRY_MAX_MS: 2_000,
      REINDEX_HEARTBEAT_MS: 1_000,
      EMBEDDING_CACHE_PERSIST: 'false',
      SELF_HEAL: 'false',
      LOG_LEVEL: 'info',
    };
    const peers = { embedder: embedder.address, search: search.address };
    replicas.push(
      ...(await Promise.all([
        startService('ingestion', { dataDir: tempDir('ingestion-a'), peers, env: ingestionEnv }),
        startService('ingestion', { dataDir: tempDir('ingestion-b'), peers, env: ingestionEnv }),
      ])),
    );
    queryApi = await startService('query-api', {
      dataDir: tempDir('query-api'),
      peers,
      env: { KAFKA_BROKERS: brokers, TOPIC_PREFIX: prefix, ADMIN_API_KEYS: ADMIN_KEY, RATE_LIMIT_ENABLED: 'false' },
    });
    await waitFor('the catalog indexed', async () => (await live())?.productCount === PRODUCTS, DEADLINE_MS, 500);
  });

  afterAll(async () => {
    await follower?.stop();
    searchClient?.close();
    await log?.close();
    await queryApi?.stop();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await Promise.all([embedder?.stop(), search?.stop()]);
    await host?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function live(): Promise<CollectionInfo | undefined> {
    return (await searchClient.listCollections()).find((collection) => collection.aliases.includes('products'));
  }

  async function adminJob(jobId: string): Promise<ReindexJob> {
    const response = await fetch(`${queryApi.address}/v1/admin/reindex/${jobId}`, { headers: { 'x-api-key': ADMIN_KEY }, signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) throw new Error(`query API answered ${response.status} for job ${jobId}: ${await response.text()}`);
    return (await response.json()) as ReindexJob;
  }

  async function replicaJob(replica: RunningService, jobId: string): Promise<ReindexJob> {
    const response = await fetch(`${replica.address}/internal/reindex/${jobId}`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) throw new Error(`ingestion answered ${response.status} for job ${jobId}: ${await response.text()}`);
    return (await response.json()) as ReindexJob;
  }

  /** Every record of the jobs topic for `jobId`, in order. */
  /**
   * The job's distinct records in the log. Delivery is at least once (a produce retried after a lost
   * acknowledgement, or a batch fetched again, repeats a record byte for byte), so a repeat of the same
   * record is one write, not two.
   */
  async function jobRecords(jobId: string): Promise<ReindexJob[]> {
    const records: ReindexJob[] = [];
    const seen = new Set<string>();
    await log.replayTopic(topics.reindexJobs, async (batch) => {
      for (const event of batch.messages) {
        const parsed = event.value ? parseReindexJobRecord(event.value) : undefined;
        if (!parsed?.ok || parsed.value.jobId !== jobId) continue;
        const key = JSON.stringify(parsed.value);
        if (seen.has(key)) continue;
        seen.add(key);
        records.push(parsed.value);
      }
    });
    return records;
  }

  it('follows a reindex to done across a restart of the replica running it; progress readable everywhere; no generation leaked', async () => {
    const before = (await live())!;
    const requested = await fetch(`${queryApi.address}/v1/admin/reindex`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'durable jobs test' }),
    });
    expect(requested.status).toBe(202);
    const { jobId } = (await requested.json()) as { jobId: string };
    follower = spawnCli(['reindex', '--job', jobId, '--poll-ms', '250', '--api-url', queryApi.address, '--api-key', ADMIN_KEY]);

    // The replay is under way on one replica: some events replayed, not all.
    let running: ReindexJob | undefined;
    await waitFor(
      'the reindex to make progress',
      async () => {
        running = await adminJob(jobId);
        return running.state === 'running' && running.done > 0;
      },
      DEADLINE_MS,
      100,
    );
    expect(running!.done).toBeLessThan(running!.total);
    const interruptedGeneration = running!.collection;
    expect(interruptedGeneration).not.toBe(before.name);
    // Both replicas answer for it, whichever runs it (each reads the jobs topic on its own, within a poll).
    for (const replica of replicas) {
      await waitFor('a replica to show the running job', async () => (await replicaJob(replica, jobId)).replicaId === running!.replicaId, DEADLINE_MS, 100);
    }
    const startedHere = (replica: RunningService) =>
      replica
        .logs()
        .split('\n')
        .some((line) => line.includes('rebuild started') && line.includes(jobId));
    const runner = replicas.find(startedHere);
    expect(runner).toBeDefined();
    const other = replicas.find((replica) => replica !== runner)!;

    // Progress stays readable from the query API and the other replica while the runner restarts.
    const readFailures: string[] = [];
    const statesSeen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const read of [() => adminJob(jobId), () => replicaJob(other, jobId)]) {
          try {
            statesSeen.add((await read()).state);
          } catch (error) {
            readFailures.push((error as Error).message);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await runner!.restart();

    await waitFor('the reindex to end', async () => ['done', 'failed'].includes((await adminJob(jobId)).state), DEADLINE_MS, 500);
    watching = false;
    await watcher;
    expect(readFailures).toEqual([]);
    expect(statesSeen.has('running')).toBe(true);

    const finished = await adminJob(jobId);
    expect(finished).toMatchObject({ jobId, state: 'done', total: PRODUCTS, done: PRODUCTS, previousCollection: before.name });
    for (const replica of replicas) expect(await replicaJob(replica, jobId)).toMatchObject({ state: 'done', collection: finished.collection });
    const listed = await fetch(`${queryApi.address}/v1/admin/reindex`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(((await listed.json()) as { jobs: ReindexJob[] }).jobs[0]).toMatchObject({ jobId, state: 'done' });

    // Done once, never failed; the interrupted run's generation is gone, the one that served before is retained for a rollback.
    const records = await jobRecords(jobId);
    expect(records.filter((record) => record.state === 'done')).toHaveLength(1);
    expect(records.filter((record) => record.state === 'failed')).toEqual([]);
    expect(records.some((record) => record.state === 'queued' && record.collection === interruptedGeneration)).toBe(true);
    const collections = await searchClient.listCollections();
    expect(collections.map((collection) => collection.name).sort()).toEqual([before.name, finished.collection].sort());
    expect(collections.find((collection) => collection.name === finished.collection)).toMatchObject({ aliases: ['products'], productCount: PRODUCTS });

    // The CLI followed it to the end across the restart.
    expect(await follower.exited).toBe(0);
    expect(follower.output()).toContain(`reindex ${jobId} done`);
  });
});
