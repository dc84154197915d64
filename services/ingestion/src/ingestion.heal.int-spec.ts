/**
 * Self-healing end to end: a bit flipped in the stored snapshot of the live collection while
 * search is stopped, and ingestion rebuilds it from the catalog topic without an operator (a new
 * generation behind the alias, the damaged one dropped), losing no product, while the events
 * published during the heal wait for it and are indexed, never dead-lettered. Then the same
 * with ingestion killed (SIGKILL) in the middle of the rebuild: the restarted process drops the
 * abandoned generation and heals again.
 *
 * real: the embedder (bundled model, CPU), search (embedded store under a temp DATA_DIR) and
 * ingestion (embedded event log under its temp DATA_DIR) as child processes started from their
 * `main.ts` (the @vsearch/testing harness), the catalog topic written by this test through
 * FileEventLog as `vsearch publish` does, a local HTTP image host with a generated catalog,
 * the damage made with node:fs on the store's own files.
 * mock: nothing.
 *
 * No timing assertions: every wait is a poll with a deadline far beyond what the design needs
 * (a heal check every HEAL_CHECK_MS, a settle of 2 × COLLECTIONS_REFRESH_MS, a replay of the
 * catalog through a deliberately slow image host). The slow host is what keeps the rebuild
 * running long enough to publish into it and to kill ingestion during it; both moments are
 * chosen by observing the rebuild generation fill, not by sleeping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CollectionInfo } from '@vsearch/contracts';
import { FileEventLog } from '@vsearch/event-log';
import { SearchClient } from '@vsearch/grpc-clients';
import { startService, waitFor, type RunningService } from '@vsearch/testing';
import { flipMiddleBit, generateTestCatalog, snapshotFileOf, startImageHost, type ImageHost, type TestCatalog } from './testing/fixtures';

jest.setTimeout(600_000);

const PRODUCTS_TOPIC = 'catalog.products.v1';
const DLQ_TOPIC = `${PRODUCTS_TOPIC}.dlq`;
/** Products indexed before the damage; the rest of the catalog is published while a heal runs. */
const INITIAL_PRODUCTS = 36;
const PUBLISHED_DURING_HEAL = 6;
const HEAL_CHECK_MS = 1_000;
const ABANDONED_AFTER_CHECKS = 3;
/** Far beyond a heal here (a check, a 1 s settle, a replay of ~40 products at 2 slow fetches at once): a loaded 2-core machine may be 10× slower. */
const HEAL_DEADLINE_MS = 300_000;

interface HealStatusBody {
  enabled: boolean;
  state: 'idle' | 'healing' | 'waiting';
  damagedCollection?: string;
  healingInto?: string;
  lastOutcome?: { outcome: string; collection: string; error?: string };
}

describe('self-healing of a damaged live collection', () => {
  let embedder: RunningService;
  let search: RunningService;
  let ingestion: RunningService;
  let searchClient: SearchClient;
  let host: ImageHost;
  let catalog: TestCatalog;
  let eventLog: FileEventLog;
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    const searchDataDir = tempDir('heal-search-');
    const ingestionDataDir = tempDir('heal-ingestion-');
    const catalogDir = tempDir('heal-catalog-');
    // 150 ms per image and 2 fetches at once: a replay of the catalog takes seconds, not milliseconds.
    host = await startImageHost(path.join(catalogDir, 'images'), { delayMs: 150 });
    catalog = await generateTestCatalog(1601, INITIAL_PRODUCTS + PUBLISHED_DURING_HEAL, host.baseUrl, catalogDir);
    eventLog = new FileEventLog({ dir: path.join(ingestionDataDir, 'event-log') });
    await eventLog.ensureTopics([{ topic: PRODUCTS_TOPIC, partitions: 1 }]);
    [embedder, search] = await Promise.all([startService('embedder'), startService('search', { dataDir: searchDataDir })]);
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 10_000 });
    ingestion = await startService('ingestion', {
      dataDir: ingestionDataDir,
      peers: { embedder: embedder.address, search: search.address },
      env: {
        KAFKA_BROKERS: '',
        IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${host.port}`,
        IMAGE_FETCH_CONCURRENCY: 2,
        EVENTS_PER_CHUNK: 4,
        COLLECTIONS_REFRESH_MS: 500,
        DEPENDENCY_RETRY_BASE_MS: 300,
        DEPENDENCY_RETRY_MAX_MS: 2_000,
        HEAL_CHECK_MS,
        HEAL_ABANDONED_AFTER_CHECKS: ABANDONED_AFTER_CHECKS,
        LOG_LEVEL: 'info',
      },
    });
    await publish(catalog.lines.slice(0, INITIAL_PRODUCTS));
    await waitFor(`the first ${INITIAL_PRODUCTS} products indexed`, async () => (await live()).productCount === INITIAL_PRODUCTS, HEAL_DEADLINE_MS, 500);
  });

  afterAll(async () => {
    searchClient?.close();
    await eventLog?.close();
    await ingestion?.stop();
    await Promise.all([embedder?.stop(), search?.stop()]);
    await host?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function publish(lines: string[]): Promise<unknown> {
    return eventLog.publish(
      PRODUCTS_TOPIC,
      lines.map((value) => ({ key: (JSON.parse(value) as { productId: string }).productId, value })),
    );
  }

  async function collections(): Promise<CollectionInfo[]> {
    return searchClient.listCollections();
  }

  async function live(): Promise<CollectionInfo> {
    const found = (await collections()).find((collection) => collection.aliases.includes('products'));
    if (!found) throw new Error('no collection behind the alias products');
    return found;
  }

  async function healStatus(): Promise<HealStatusBody> {
    const response = await fetch(`${ingestion.address}/internal/heal`, { signal: AbortSignal.timeout(5_000) });
    if (response.status !== 200) throw new Error(`GET /internal/heal answered ${response.status}`);
    return (await response.json()) as HealStatusBody;
  }

  /** Stops search gracefully (it writes snapshots), flips a bit in the live collection's snapshot file, starts it again. */
  async function damageLiveSnapshot(kind: 'vectors.f32' | 'products.jsonl'): Promise<string> {
    const victim = (await live()).name;
    expect(await search.stop()).toBe(0);
    flipMiddleBit(snapshotFileOf(search.dataDir!, victim, kind));
    await search.restart();
    // A fresh channel: the old one may sit in its reconnect backoff and fail the next call fast.
    searchClient.close();
    searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 10_000 });
    return victim;
  }

  /** Waits until the rebuild generation has some products but not all: the replay runs. */
  async function rebuildUnderWay(total: number): Promise<CollectionInfo> {
    let rebuilding: CollectionInfo | undefined;
    await waitFor(
      'the rebuild generation to fill',
      async () => {
        const status = await healStatus();
        rebuilding = status.healingInto ? (await collections()).find((collection) => collection.name === status.healingInto) : undefined;
        return rebuilding !== undefined && rebuilding.productCount > 0;
      },
      HEAL_DEADLINE_MS,
      100,
    );
    expect(rebuilding!.productCount).toBeLessThan(total);
    return rebuilding!;
  }

  async function deadLetterCount(): Promise<number> {
    return [...(await eventLog.endOffsets(DLQ_TOPIC)).values()].reduce((sum, end) => sum + Number(end), 0);
  }

  /** Every product of the catalog is stored in the live collection at the version published last. */
  async function expectEveryProductBack(expectedVersions: Map<string, number>): Promise<void> {
    const serving = await live();
    expect(serving.damage).toBeUndefined();
    expect(serving.productCount).toBe(expectedVersions.size);
    const missing: string[] = [];
    for (const [productId, version] of expectedVersions) {
      const stored = await searchClient.getProduct(productId);
      if (stored?.product.version !== version) missing.push(`${productId}@${version} (stored: ${stored ? stored.product.version : 'none'})`);
    }
    expect(missing).toEqual([]);
  }

  const versionsOf = (lines: string[]) =>
    new Map(lines.map((line) => JSON.parse(line) as { productId: string; version: number }).map((event) => [event.productId, event.version]));

  it('reports the damage, rebuilds without an operator into a new generation, drops the damaged one, loses nothing, and indexes events published during the heal', async () => {
    const victim = await damageLiveSnapshot('vectors.f32');

    // A heal swaps the alias no sooner than a check plus the 2 × COLLECTIONS_REFRESH_MS settle after search is back: the damage is still live here.
    const damaged = (await collections()).find((collection) => collection.name === victim)!;
    expect(damaged.aliases).toEqual(['products']);
    expect(damaged.damage).toMatch(/vectors\.f32/);

    const rebuilding = await rebuildUnderWay(INITIAL_PRODUCTS);
    expect(rebuilding.name).not.toBe(victim);
    // Published while the replay runs, after its end offsets were taken: the live consumer handles these, and the damaged alias makes them wait.
    const first = JSON.parse(catalog.lines[0]) as { productId: string; version: number; title: string };
    const updated = JSON.stringify({
      ...first,
      version: first.version + 1,
      title: `${first.title} (renamed during the heal)`,
      occurredAt: new Date().toISOString(),
    });
    const duringHeal = [...catalog.lines.slice(INITIAL_PRODUCTS), updated];
    await publish(duringHeal);

    await waitFor('the heal to end', async () => (await healStatus()).lastOutcome !== undefined, HEAL_DEADLINE_MS, 500);
    expect(await healStatus()).toMatchObject({ enabled: true, state: 'idle', lastOutcome: { outcome: 'healed', collection: victim } });
    const after = await collections();
    expect(after.map((collection) => [collection.name, collection.aliases])).toEqual([[rebuilding.name, ['products']]]);

    const expected = versionsOf([...catalog.lines, updated]);
    await waitFor(
      'the events published during the heal',
      async () => (await searchClient.getProduct(first.productId))?.product.version === first.version + 1,
      HEAL_DEADLINE_MS,
      500,
    );
    await waitFor('every product', async () => (await live()).productCount === expected.size, HEAL_DEADLINE_MS, 500);
    await expectEveryProductBack(expected);
    expect((await searchClient.getProduct(first.productId))!.product.title).toMatch(/renamed during the heal/);
    expect(await deadLetterCount()).toBe(0);
    // They met the damaged alias and waited (paused, retried), instead of being refused.
    expect(ingestion.logs()).toMatch(/collection products is damaged; writes wait until it is rebuilt/);

    // Searches are served from the rebuilt vectors and words.
    for (const line of [catalog.lines[3], catalog.lines[INITIAL_PRODUCTS + 1]]) {
      const product = JSON.parse(line) as { productId: string; title: string };
      const byWords = await searchClient.search({ text: product.title, mode: 'keyword', limit: expected.size });
      expect(byWords.hits.map((hit) => hit.product.productId)).toContain(product.productId);
      const similar = await searchClient.similar(product.productId, { limit: 5, modelId: byWords.modelId });
      expect(similar.hits.length).toBeGreaterThan(0);
    }
  });

  it('completes the heal after ingestion is killed with SIGKILL during the rebuild: the abandoned generation is dropped and nothing is lost', async () => {
    const expected = await (async () => {
      const versions = versionsOf(catalog.lines);
      for (const [productId] of versions) {
        const stored = await searchClient.getProduct(productId);
        if (stored) versions.set(productId, stored.product.version);
      }
      return versions;
    })();
    expect((await live()).productCount).toBe(expected.size);
    const victim = await damageLiveSnapshot('products.jsonl');
    expect((await collections()).find((collection) => collection.name === victim)?.damage).toMatch(/products\.jsonl/);

    const abandoned = await rebuildUnderWay(expected.size);
    await ingestion.kill();
    // Nothing swapped: the damaged generation still serves the alias, the half-filled one is left behind.
    const leftBehind = await collections();
    expect(leftBehind.find((collection) => collection.name === victim)?.aliases).toEqual(['products']);
    expect(leftBehind.find((collection) => collection.name === abandoned.name)?.productCount).toBeLessThan(expected.size);

    await ingestion.restart();
    await waitFor('the heal after the restart', async () => (await healStatus()).lastOutcome !== undefined, HEAL_DEADLINE_MS, 500);
    expect(await healStatus()).toMatchObject({ state: 'idle', lastOutcome: { outcome: 'healed', collection: victim } });
    const after = await collections();
    expect(after).toHaveLength(1);
    expect(after[0].aliases).toEqual(['products']);
    expect([victim, abandoned.name]).not.toContain(after[0].name);
    expect(ingestion.logs()).toMatch(new RegExp(`generation ${abandoned.name} has not grown .* dropping it as an abandoned rebuild`));
    await expectEveryProductBack(expected);
    expect(await deadLetterCount()).toBe(0);
  });
});
