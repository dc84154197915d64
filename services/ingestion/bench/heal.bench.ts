/**
 * Time to heal a damaged live collection (issue 16): embedder, search (embedded store) and
 * ingestion (embedded event log) started from their `main.ts` by the @vsearch/testing harness,
 * HEAL_BENCH_PRODUCTS generated products indexed from a local image host, then HEAL_BENCH_RUNS
 * times: search stopped, one bit flipped in the middle of the live collection's snapshot
 * `vectors.f32`, search started again, and timed from there (the damage is reported in
 * ListCollections as soon as search is ready) until ingestion's healer reports the heal
 * (detection: its next check, HEAL_CHECK_MS apart) and until the alias points at the rebuilt
 * generation (rebuild: create, settle, replay the catalog topic, swap). After each run every
 * product is looked up: products lost = products published − products found.
 *
 *   node tools/cli/bin/run-ts.js services/ingestion/bench/heal.bench.ts
 *   HEAL_BENCH_PRODUCTS=2000 HEAL_BENCH_RUNS=3 HEAL_CHECK_MS=10000 node tools/cli/bin/run-ts.js services/ingestion/bench/heal.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileEventLog } from '@vsearch/event-log';
import { SearchClient } from '@vsearch/grpc-clients';
import { describeMachine, median, startService, waitFor } from '@vsearch/testing';
import { flipMiddleBit, generateTestCatalog, publishTestCatalog, snapshotFileOf, startImageHost } from '../src/testing/fixtures';

const products = Number(process.env.HEAL_BENCH_PRODUCTS ?? 2000);
const runs = Number(process.env.HEAL_BENCH_RUNS ?? 1);
const healCheckMs = Number(process.env.HEAL_CHECK_MS ?? 10_000);
const DEADLINE_MS = 60 * 60_000;

interface RunFigures {
  detectedMs: number;
  swappedMs: number;
  lost: number;
  from: string;
  to: string;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'heal-bench-'));
  const host = await startImageHost(path.join(root, 'catalog', 'images'), { cacheInMemory: true });
  const services: { stop(): Promise<unknown> }[] = [];
  try {
    const started = performance.now();
    const catalog = await generateTestCatalog(2016, products, host.baseUrl, path.join(root, 'catalog'));
    console.log(`generated ${products} products (${catalog.imageCount} images) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const eventLog = new FileEventLog({ dir: path.join(root, 'ingestion', 'event-log') });
    await eventLog.ensureTopics([{ topic: 'catalog.products.v1', partitions: 1 }]);
    const [embedder, search] = await Promise.all([startService('embedder'), startService('search', { dataDir: path.join(root, 'search') })]);
    services.push(embedder, search);
    const ingestion = await startService('ingestion', {
      dataDir: path.join(root, 'ingestion'),
      peers: { embedder: embedder.address, search: search.address },
      env: { KAFKA_BROKERS: '', IMAGE_FETCH_ALLOW_HOSTS: `127.0.0.1:${host.port}`, HEAL_CHECK_MS: healCheckMs, LOG_LEVEL: 'warn' },
    });
    services.unshift(ingestion);
    let client = new SearchClient({ address: search.address, defaultDeadlineMs: 30_000 });
    const live = async () => (await client.listCollections()).find((collection) => collection.aliases.includes('products'));
    const healStatus = async () =>
      (await (await fetch(`${ingestion.address}/internal/heal`)).json()) as { state: string; lastOutcome?: { outcome: string; at: string } };

    const indexingStarted = performance.now();
    await publishTestCatalog(eventLog, 'catalog.products.v1', catalog);
    await waitFor(`${products} products indexed`, async () => (await live())?.productCount === products, DEADLINE_MS, 1_000);
    console.log(`indexed ${products} products in ${((performance.now() - indexingStarted) / 1000).toFixed(0)} s`);

    const figures: RunFigures[] = [];
    for (let run = 0; run < runs; run++) {
      const victim = (await live())!.name;
      await search.stop();
      flipMiddleBit(snapshotFileOf(path.join(root, 'search'), victim, 'vectors.f32'));
      await search.restart();
      const back = performance.now();
      client.close();
      client = new SearchClient({ address: search.address, defaultDeadlineMs: 30_000 });
      const reported = await live();
      if (reported?.name !== victim || !reported.damage) throw new Error(`search did not report ${victim} damaged: ${JSON.stringify(reported)}`);
      const outcomesBefore = JSON.stringify((await healStatus()).lastOutcome);
      await waitFor('the healer to report the heal', async () => (await healStatus()).state === 'healing', DEADLINE_MS, 100);
      const detectedMs = performance.now() - back;
      await waitFor('the alias swap', async () => (await live())?.name !== victim, DEADLINE_MS, 100);
      const swappedMs = performance.now() - back;
      await waitFor('the heal to end', async () => JSON.stringify((await healStatus()).lastOutcome) !== outcomesBefore, DEADLINE_MS, 200);
      let found = 0;
      for (const productId of catalog.productIds) if (await client.getProduct(productId)) found++;
      const rebuilt = (await live())!;
      figures.push({ detectedMs, swappedMs, lost: products - found, from: victim, to: rebuilt.name });
      console.log(
        `run ${run + 1}: ${victim} damaged → ${rebuilt.name}: reported by the healer after ${(detectedMs / 1000).toFixed(1)} s, alias swapped after ${(swappedMs / 1000).toFixed(1)} s; ` +
          `${found} of ${products} products found (lost ${products - found}), ${rebuilt.productCount} in the collection, collections now: ${(await client.listCollections()).map((c) => c.name).join(', ')}`,
      );
    }
    client.close();
    await eventLog.close();

    const s = (values: number[]) => `${(median(values) / 1000).toFixed(1)} s`;
    console.log(`\nmachine: ${describeMachine()}; ${products} products, ${catalog.imageCount} images; HEAL_CHECK_MS=${healCheckMs}; ${runs} run(s)`);
    console.log('| measure | median | runs |');
    console.log('| --- | --- | --- |');
    console.log(
      `| search ready → healer reports the heal (detection) | ${s(figures.map((f) => f.detectedMs))} | ${figures.map((f) => (f.detectedMs / 1000).toFixed(1)).join(', ')} s |`,
    );
    console.log(
      `| search ready → alias swapped to the rebuilt generation | ${s(figures.map((f) => f.swappedMs))} | ${figures.map((f) => (f.swappedMs / 1000).toFixed(1)).join(', ')} s |`,
    );
    console.log(
      `| detection → alias swapped (the rebuild) | ${s(figures.map((f) => f.swappedMs - f.detectedMs))} | ${figures.map((f) => ((f.swappedMs - f.detectedMs) / 1000).toFixed(1)).join(', ')} s |`,
    );
    console.log(`| products lost | ${figures.reduce((sum, f) => sum + f.lost, 0)} | ${figures.map((f) => f.lost).join(', ')} |`);
  } finally {
    for (const service of services) await service.stop().catch(() => undefined);
    await host.close();
    rmSync(root, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
