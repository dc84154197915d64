/**
 * Ingestion throughput, end to end (`npm run bench:ingestion [-- --products N --runs R]`):
 * a topic pre-filled with a generated catalog (images on a local HTTP host), the real
 * embedder (bundled model, CPU) and search as child processes (their `main.ts`, through the
 * @vsearch/testing harness), ingestion in this process from a fresh consumer group into a fresh store. Beside
 * it, the embedder's own images/s measured raw in the same run (pixels already preprocessed,
 * bulk lane, the same batch size and concurrency): the pipeline should reach ≥ 80% of it.
 * Uses KAFKA_BROKERS, or starts tools/kafka/kafka.sh; `--embedded` uses the embedded log.
 * Writes the `ingestion` section of docs/benchmarks.md (unless `--no-write`). A benchmark, not a test.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCatalogEvent } from '@vsearch/contracts';
import { FileEventLog, KafkaEventLog, type EventLog } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';
import { preprocessImage } from '@vsearch/preprocessing';
import { freePort, median, REPO_ROOT, startService, writeBenchmarkSection } from '@vsearch/testing';
import { startIngestionService } from '../src/index';
import { generateTestCatalog, ingestionStackEnv, publishTestCatalog, startImageHost, storeCounts } from '../src/testing/fixtures';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const PRODUCTS = option('products', 150);
const RUNS = option('runs', 3);
const EMBEDDED = process.argv.includes('--embedded');
/** `--no-write`: print the figures without touching docs/benchmarks.md (trial runs). */
const WRITE = !process.argv.includes('--no-write');
const EMBED_BATCH = 32;
const EMBED_CONCURRENCY = 4;
/** As `npm start` runs the embedder beside the other services: one onnxruntime thread per tower. */
const EMBEDDER_ENV = { LOG_LEVEL: 'error', INTRA_OP_THREADS: process.env.INTRA_OP_THREADS ?? '1' };

/**
 * The image host (the shop's CDN in production) in a process of its own, so its CPU is not
 * counted as ingestion's: `--serve-images DIR PORT` runs this script as that host.
 */
async function serveImages(imagesDir: string, port: number): Promise<void> {
  const host = await startImageHost(imagesDir, { cacheInMemory: true, port });
  process.send?.({ port: host.port });
  process.once('disconnect', () => void host.close().then(() => process.exit(0)));
}

interface ImageHostProcess {
  baseUrl: string;
  port: number;
  pid: number | undefined;
  close(): Promise<void>;
}

async function startImageHostProcess(imagesDir: string): Promise<ImageHostProcess> {
  const port = await freePort();
  const child = fork(path.join(REPO_ROOT, 'tools/cli/bin/run-ts.js'), [__filename, '--serve-images', imagesDir, String(port)], { stdio: 'inherit' });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`image host exited with code ${code}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    baseUrl: `http://127.0.0.1:${port}/catalog-images`,
    port,
    pid: child.pid,
    close: async () => {
      child.disconnect();
      await exited;
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function embedderCeiling(address: string, pixels: Uint8Array[]): Promise<number> {
  const client = new EmbedderClient({ address, defaultDeadlineMs: 120_000 });
  const batches: Uint8Array[][] = [];
  for (let i = 0; i < pixels.length; i += EMBED_BATCH) batches.push(pixels.slice(i, i + EMBED_BATCH));
  await client.embedPixels(batches[0], { priority: 'bulk' });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: EMBED_CONCURRENCY }, async () => {
      while (next < batches.length) await client.embedPixels(batches[next++], { priority: 'bulk' });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  client.close();
  return pixels.length / seconds;
}

async function main(): Promise<void> {
  const brokers = EMBEDDED ? '' : await kafkaBrokersForTests();
  const embedder = await startService('embedder', { env: EMBEDDER_ENV });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-bench-'));
  const host = await startImageHostProcess(path.join(workDir, 'images'));
  const catalog = await generateTestCatalog(9001, PRODUCTS, host.baseUrl, workDir);
  const modelInfo = await new EmbedderClient({ address: embedder.address }).getModelInfo();
  console.error(
    `catalog: ${PRODUCTS} products, ${catalog.imageCount} images; model ${modelInfo.modelId} (${modelInfo.imageSize}px, ${modelInfo.executionProvider})`,
  );

  // The embedder's own throughput on this machine: images preprocessed beforehand, only gRPC + inference timed.
  const pixels: Uint8Array[] = [];
  for (const line of catalog.lines) {
    const parsed = parseCatalogEvent(line);
    if (!parsed.ok || parsed.value.type !== 'product.upserted') throw new Error('bad catalog line');
    for (const image of parsed.value.images) {
      const file = path.join(workDir, 'images', new URL(image.url).pathname.replace(/^\/catalog-images\//, ''));
      pixels.push((await preprocessImage(readFileSync(file), { size: modelInfo.imageSize })).pixels);
    }
  }

  const ceilings: number[] = [];
  const pipelineImages: number[] = [];
  const pipelineEvents: number[] = [];
  const cpu = { embedderAlone: [] as number[], embedder: [] as number[], ingestion: [] as number[], search: [] as number[], host: [] as number[] };
  const embedderPid = embedder.pid;
  for (let run = 1; run <= RUNS; run++) {
    const aloneBefore = cpuSecondsOf(embedderPid);
    ceilings.push(await embedderCeiling(embedder.address, pixels));
    cpu.embedderAlone.push(((cpuSecondsOf(embedderPid) - aloneBefore) * 1000) / pixels.length);
    const searchDataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-bench-search-'));
    const search = await startService('search', { dataDir: searchDataDir, env: { LOG_LEVEL: 'warn' } });
    const searchClient = new SearchClient({ address: search.address, defaultDeadlineMs: 5_000 });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-bench-data-'));
    const prefix = EMBEDDED ? '' : uniqueTopicPrefix('bench');
    const log: EventLog = EMBEDDED
      ? new FileEventLog({ dir: path.join(dataDir, 'event-log') })
      : new KafkaEventLog({ brokers: brokers.split(','), clientId: 'ingestion-bench' });
    const topic = `${prefix}catalog.products.v1`;
    await log.ensureTopics([{ topic, partitions: 3, config: { 'cleanup.policy': 'compact' } }]);
    await publishTestCatalog(log, topic, catalog);
    await log.close();

    const cpuBefore = { embedder: cpuSecondsOf(embedderPid), search: cpuSecondsOf(search.pid), ingestion: ownCpuSeconds(), host: cpuSecondsOf(host.pid) };
    const started = performance.now();
    const service = await startIngestionService({
      ...ingestionStackEnv({
        brokers,
        prefix,
        consumerGroup: `${prefix}bench-ingestion`,
        embedderAddress: embedder.address,
        searchAddress: search.address,
        dataDir,
        imageHostPort: host.port,
      }),
      EMBED_BATCH: EMBED_BATCH,
      EMBED_CONCURRENCY: EMBED_CONCURRENCY,
      LOG_LEVEL: 'error',
    });
    while ((await storeCounts(searchClient)).products < PRODUCTS) await new Promise((resolve) => setTimeout(resolve, 50));
    const seconds = (performance.now() - started) / 1000;
    cpu.embedder.push(((cpuSecondsOf(embedderPid) - cpuBefore.embedder) * 1000) / catalog.imageCount);
    cpu.search.push(((cpuSecondsOf(search.pid) - cpuBefore.search) * 1000) / catalog.imageCount);
    cpu.ingestion.push(((ownCpuSeconds() - cpuBefore.ingestion) * 1000) / catalog.imageCount);
    cpu.host.push(((cpuSecondsOf(host.pid) - cpuBefore.host) * 1000) / catalog.imageCount);
    await service.close();
    searchClient.close();
    await search.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(searchDataDir, { recursive: true, force: true });
    pipelineEvents.push(PRODUCTS / seconds);
    pipelineImages.push(catalog.imageCount / seconds);
    console.error(
      `run ${run}: embedder ${ceilings[run - 1].toFixed(1)} images/s; ingestion ${(PRODUCTS / seconds).toFixed(1)} events/s = ${(catalog.imageCount / seconds).toFixed(1)} images/s (${seconds.toFixed(1)} s); ` +
        `CPU ms/image: embedder alone ${cpu.embedderAlone[run - 1].toFixed(2)}, embedder ${cpu.embedder[run - 1].toFixed(2)}, ingestion ${cpu.ingestion[run - 1].toFixed(2)}, search ${cpu.search[run - 1].toFixed(2)}, image host ${cpu.host[run - 1].toFixed(2)}`,
    );
  }
  await embedder.stop();
  await host.close();
  rmSync(workDir, { recursive: true, force: true });

  const ceiling = median(ceilings);
  const images = median(pipelineImages);
  const events = median(pipelineEvents);
  const ratio = images / ceiling;
  const cores = os.cpus().length;
  const perImage = median(cpu.ingestion) + median(cpu.embedder) + median(cpu.search) + median(cpu.host);
  const cpuBound = (cores * 1000) / perImage;
  const perIngestionCore = 1000 / median(cpu.ingestion);
  const coresToFeed = ceiling / perIngestionCore;
  const command = `npm run bench:ingestion -- --products ${PRODUCTS} --runs ${RUNS}${EMBEDDED ? ' --embedded' : ''}`;
  const markdown = [
    '## Ingestion (end to end)',
    '',
    `\`${command}\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), model ${modelInfo.modelId} on ${modelInfo.executionProvider} with INTRA_OP_THREADS=${EMBEDDER_ENV.INTRA_OP_THREADS} (as \`npm start\` runs it), ${EMBEDDED ? 'embedded event log' : 'Kafka (3 partitions)'}.`,
    '',
    `A topic pre-filled with ${PRODUCTS} generated products (${catalog.imageCount} images, served by a local HTTP host); ingestion from a fresh consumer group into a fresh store: fetch, decode + preprocess on the ingestion side, embed through the bulk lane (batches of ${EMBED_BATCH}, ${EMBED_CONCURRENCY} calls in flight), versioned upsert, commit. Timed from service start to the last product stored. The embedder ceiling is the same embedder process fed already preprocessed pixels with the same batching, in the same run. Medians of ${RUNS} runs.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| ingestion, events/s | ${events.toFixed(1)} |`,
    `| ingestion, images/s | ${images.toFixed(1)} |`,
    `| embedder alone (pixels, bulk lane), images/s | ${ceiling.toFixed(1)} |`,
    `| ingestion / embedder | ${(ratio * 100).toFixed(0)}% (target ≥ 80%) |`,
    '',
    'CPU time per image (user + system, from /proc; independent of how busy the shared machine was):',
    '',
    '| process | CPU ms per image |',
    '| --- | --- |',
    `| embedder alone (pixels in) | ${median(cpu.embedderAlone).toFixed(2)} |`,
    `| embedder during ingestion | ${median(cpu.embedder).toFixed(2)} |`,
    `| ingestion (fetch, decode + resize, hashing, gRPC, Kafka) | ${median(cpu.ingestion).toFixed(2)} |`,
    `| search (versioned upserts, reads) | ${median(cpu.search).toFixed(2)} |`,
    `| the image host (the CDN's stand-in, its own process) | ${median(cpu.host).toFixed(2)} |`,
    '',
    `Reading the figures: on this machine ingestion, the embedder, search and the image host share the same ${os.cpus().length} cores (the one-machine mode), so the whole pipeline can do at most ${cores} × 1000 / ${perImage.toFixed(2)} ≈ ${cpuBound.toFixed(0)} images/s however it is scheduled, i.e. ${((cpuBound / ceiling) * 100).toFixed(0)}% of the embedder alone: with a model this small (${ceiling.toFixed(0)} images/s on CPU), fetching, decoding and resizing an image costs more CPU than embedding it, and the ≥ 80% target cannot be met by sharing cores. In the cluster the decoding runs on separate CPU pods (DESIGN.md principle 1): one ingestion core handles about ${perIngestionCore.toFixed(0)} images/s, so feeding this embedder at its own rate takes about ${coresToFeed.toFixed(1)} ingestion cores; with a real CLIP on CPU (about 20 images/s on 2 cores, DESIGN.md) one ingestion core is already several times faster than the embedder.`,
  ].join('\n');
  if (WRITE) writeBenchmarkSection('ingestion', markdown);
  console.log(markdown);
}

const serveImagesAt = process.argv.indexOf('--serve-images');
(serveImagesAt === -1 ? main() : serveImages(process.argv[serveImagesAt + 1], Number(process.argv[serveImagesAt + 2]))).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
