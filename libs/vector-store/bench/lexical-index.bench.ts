/**
 * Benchmark of the embedded keyword index (MiniSearchLexicalIndex): build time, serialised size,
 * heap held, rebuild-from-JSON time and query latency p50/p95/p99 per kind of query, for a
 * synthetic catalog (100k products by default). Prints the figures; asserts nothing.
 *
 * Usage: node tools/cli/bin/run-ts.js libs/vector-store/bench/lexical-index.bench.ts [--products 100000] [--queries 500] [--seed 1]
 *
 * Products: @vsearch/catalog-generator's titles, descriptions, brands, categories and attributes
 * (a small vocabulary: 15 brands, a few dozen categories, colours and patterns, so those terms
 * have very long posting lists), plus what a real catalog has and the generator lacks: a model
 * code per product ("KX-4821") and 8 to 20 description words drawn from a 30,000-word synthetic
 * vocabulary by a Zipf law (s = 1.07), so the dictionary has a long tail of rare words for typo
 * and prefix lookups to walk.
 *
 * Every figure is given as wall time and as this process's CPU time (user + system): on a shared
 * machine the wall time includes waiting for a core, the CPU time is what the work costs.
 */
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import { MiniSearchLexicalIndex, type SerializedLexicalIndex } from '../src/lexical/minisearch.lexical-index';
import { memoryAfterGc, timedSync } from './hybrid-bench-setup';
import { querySets, syntheticCatalog } from './synthetic-shopper-catalog';

interface Options {
  products: number;
  queries: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { products: 100_000, queries: 500, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--products') options.products = value;
    else if (argv[i] === '--queries') options.queries = value;
    else if (argv[i] === '--seed') options.seed = value;
    else continue;
    if (!Number.isInteger(value) || value < 1) throw new Error(`${argv[i]} takes a positive integer, got ${argv[i + 1]}`);
    i++;
  }
  return options;
}

const heapUsedAfterGc = () => memoryAfterGc().heapUsed;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const ms = (nanoseconds: bigint) => Number(nanoseconds) / 1e6;

const both = (time: { wallMs: number; cpuMs: number }) => `${time.wallMs.toFixed(0)} ms wall, ${time.cpuMs.toFixed(0)} ms CPU`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  console.log(`lexical index bench: ${options.products} products, ${options.queries} queries per set, seed ${options.seed}`);
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${mib(os.totalmem())} RAM, Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}`,
  );

  const generated = process.hrtime.bigint();
  const { products } = syntheticCatalog(options);
  console.log(`catalog generated in ${ms(process.hrtime.bigint() - generated).toFixed(0)} ms`);

  const heapBefore = heapUsedAfterGc();
  const build = timedSync(() => {
    const built = new MiniSearchLexicalIndex();
    for (const product of products) built.upsert(product.productId, product.text);
    return built;
  });
  let index = build.result;
  const heapBuilt = heapUsedAfterGc() - heapBefore;

  const serialize = timedSync(() => JSON.stringify(index));
  const json = serialize.result;
  const jsonBytes = Buffer.byteLength(json);
  const gzipBytes = gzipSync(json, { level: 6 }).length;

  // Let the built index go (both references), so the loaded one is measured alone.
  index = build.result = undefined as unknown as MiniSearchLexicalIndex;
  const heapWithoutIndex = heapUsedAfterGc();
  const load = timedSync(() => MiniSearchLexicalIndex.loadJSON(json));
  index = load.result;
  const heapLoaded = heapUsedAfterGc() - heapWithoutIndex;

  console.log('');
  console.log('| figure | value |');
  console.log('| --- | --- |');
  console.log(
    `| build (upsert ${products.length} products) | ${both(build)} (${((products.length / build.cpuMs) * 1000).toFixed(0)} products per CPU second) |`,
  );
  console.log(`| heap held by the built index | ${mib(heapBuilt)} |`);
  console.log(`| serialise (JSON.stringify) | ${both(serialize)} |`);
  console.log(`| serialised size | ${mib(jsonBytes)} JSON, ${mib(gzipBytes)} gzip |`);
  console.log(`| rebuild from JSON (parse + MiniSearch.loadJS) | ${both(load)} |`);
  console.log(`| heap held by the loaded index | ${mib(heapLoaded)} |`);
  const dictionaryTerms = (JSON.parse(json) as SerializedLexicalIndex).indexes.map((group) => group.miniSearch.index.length);
  console.log(`| products / dictionary terms (catalog text, tag labels) | ${index.size} / ${dictionaryTerms.join(', ')} |`);

  console.log('');
  console.log('| query set | example | hits (mean, limit 50) | wall p50 / p95 / p99 ms | CPU p50 / p95 / p99 ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const set of querySets(products, options.queries)) {
    for (const query of set.queries.slice(0, 50)) index.search(query, { limit: 50, prefixLastTerm: set.prefixLastTerm }); // warm-up
    const wall: number[] = [];
    const cpu: number[] = [];
    let hits = 0;
    for (const query of set.queries) {
      const time = timedSync(() => index.search(query, { limit: 50, prefixLastTerm: set.prefixLastTerm }));
      hits += time.result.length;
      wall.push(time.wallMs);
      cpu.push(time.cpuMs);
    }
    const spread = (values: number[]) => {
      values.sort((a, b) => a - b);
      return [0.5, 0.95, 0.99].map((p) => percentile(values, p).toFixed(2)).join(' / ');
    };
    const example = set.queries[0].length > 40 ? `${set.queries[0].slice(0, 37)}...` : set.queries[0];
    console.log(`| ${set.name}: ${set.what} | \`${example}\` | ${(hits / set.queries.length).toFixed(1)} | ${spread(wall)} | ${spread(cpu)} |`);
  }
  console.log('');
  console.log(
    `command: node tools/cli/bin/run-ts.js libs/vector-store/bench/lexical-index.bench.ts --products ${options.products} --queries ${options.queries} --seed ${options.seed}`,
  );
}

main();
