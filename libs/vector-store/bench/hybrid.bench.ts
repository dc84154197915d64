/**
 * Benchmark of hybrid against vector search on the embedded store: the synthetic shopper catalog
 * (see synthetic-shopper-catalog.ts) with one random unit vector per product, queried through the
 * VectorStore port in process with shopper queries of every kind, each paired with a random unit
 * query vector. Vector and hybrid queries alternate, so both see the same machine load. Latency
 * p50/p95 (wall and CPU) per mode and per query kind, medians over the runs, and the hybrid/vector
 * p95 ratio (the target: at most 1.5 at 100k products). Prints the figures; asserts nothing.
 *
 * Usage: node tools/cli/bin/run-ts.js libs/vector-store/bench/hybrid.bench.ts
 *          [--products 100000] [--queries 40] [--runs 3] [--dimension 128] [--seed 1]
 *
 * Two cut-offs: none (every product matches; count and facets come from the per-filter summary)
 * and a threshold that about 1% of random vectors pass (2.33 / sqrt(dimension)), standing in for
 * the model's text threshold (real CLIP scores are not random, so that share differs in production).
 * Every query asks for 24 hits with facets, as the web page does.
 */
import os from 'node:os';
import { EmbeddedVectorStore } from '../src/embedded/embedded.vector-store';
import type { SearchMode } from '@vsearch/contracts';
import type { ProductWithImageVectors } from '../src/types';
import { querySets, syntheticCatalog } from './synthetic-shopper-catalog';

interface Options {
  products: number;
  queries: number;
  runs: number;
  dimension: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { products: 100_000, queries: 40, runs: 3, dimension: 128, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    if (!(key in options)) throw new Error(`unknown option ${argv[i]}`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} takes a positive integer, got ${argv[i]}`);
    options[key] = value;
  }
  return options;
}

/** Deterministic unit vectors (mulberry32 + Box-Muller). */
function unitVectors(count: number, dimension: number, seed: number): Float32Array[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const vector = new Float32Array(dimension);
    let norm = 0;
    for (let d = 0; d < dimension; d++) {
      const value = Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
      vector[d] = value;
      norm += value * value;
    }
    for (let d = 0; d < dimension; d++) vector[d] /= Math.sqrt(norm);
    return vector;
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
const median = (values: number[]) => percentile(values, 0.5);

interface Sample {
  set: string;
  mode: SearchMode;
  wallMs: number;
  cpuMs: number;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  console.log(
    `hybrid vs vector bench: ${options.products} products, ${options.dimension} dimensions, ${options.queries} queries per kind, ${options.runs} runs, seed ${options.seed}`,
  );
  console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}`);

  const { products } = syntheticCatalog({ products: options.products, seed: options.seed });
  const vectors = unitVectors(options.products, options.dimension, options.seed);
  const store = new EmbeddedVectorStore();
  await store.open();
  const collection = await store.createGeneration('bench-model', options.dimension);
  const buildStart = process.hrtime.bigint();
  const buildCpu = process.cpuUsage();
  for (let first = 0; first < products.length; first += 1000) {
    const batch: ProductWithImageVectors[] = products.slice(first, first + 1000).map((product, i) => ({
      product: {
        productId: product.productId,
        version: 1,
        title: product.text.title,
        description: product.text.description,
        brand: product.text.brand,
        categories: [...product.text.categories],
        price: { amount: 5 + (((first + i) * 7919) % 300), currency: 'EUR' },
        inStock: (first + i) % 5 !== 0,
        attributes: { ...product.text.attributes },
        updatedAt: new Date(Date.UTC(2024, 0, 1) + (first + i) * 60_000).toISOString(),
      },
      images: [{ imageId: 'main', imageUrl: `http://images.test/${product.productId}.jpg`, vector: vectors[first + i] }],
    }));
    await store.upsertProducts(collection, batch);
  }
  const buildCpuMs = (process.cpuUsage(buildCpu).user + process.cpuUsage(buildCpu).system) / 1000;
  console.log(
    `store filled (vectors + keyword index) in ${(Number(process.hrtime.bigint() - buildStart) / 1e6).toFixed(0)} ms wall, ${buildCpuMs.toFixed(0)} ms CPU`,
  );

  const sets = querySets(products, options.queries).filter((set) => !set.prefixLastTerm);
  const queryVectors = unitVectors(options.queries * sets.length, options.dimension, options.seed + 1000);
  const thresholds: Array<[string, number | undefined]> = [
    ['no threshold', undefined],
    ['threshold passing ~1%', 2.33 / Math.sqrt(options.dimension)],
  ];

  for (const [thresholdName, scoreThreshold] of thresholds) {
    const runs: Sample[][] = [];
    for (let run = 0; run < options.runs + 1; run++) {
      const samples: Sample[] = [];
      for (const [s, set] of sets.entries()) {
        for (const [q, text] of set.queries.entries()) {
          const vector = queryVectors[s * options.queries + q];
          for (const mode of ['vector', 'hybrid'] as const) {
            const cpu = process.cpuUsage();
            const start = process.hrtime.bigint();
            await store.searchSimilar({ collection, vector, text, mode, scoreThreshold, limit: 24, withFacets: true });
            const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
            const used = process.cpuUsage(cpu);
            samples.push({ set: set.name, mode, wallMs, cpuMs: (used.user + used.system) / 1000 });
          }
        }
      }
      if (run > 0) runs.push(samples); // run 0 warms up
    }
    const figure = (mode: SearchMode, p: number, field: 'wallMs' | 'cpuMs', set?: string) =>
      median(
        runs.map((samples) =>
          percentile(
            samples.filter((sample) => sample.mode === mode && (set === undefined || sample.set === set)).map((sample) => sample[field]),
            p,
          ),
        ),
      );

    console.log('');
    console.log(`### ${thresholdName}`);
    console.log('');
    console.log(
      '| queries | vector p50 / p95 ms (wall) | hybrid p50 / p95 ms (wall) | vector p50 / p95 ms (CPU) | hybrid p50 / p95 ms (CPU) | hybrid / vector p95 (CPU) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const set of [undefined, ...sets.map((candidate) => candidate.name)]) {
      const cells = (mode: SearchMode, field: 'wallMs' | 'cpuMs') =>
        `${figure(mode, 0.5, field, set).toFixed(2)} / ${figure(mode, 0.95, field, set).toFixed(2)}`;
      const ratio = figure('hybrid', 0.95, 'cpuMs', set) / figure('vector', 0.95, 'cpuMs', set);
      console.log(
        `| ${set ?? '**all kinds**'} | ${cells('vector', 'wallMs')} | ${cells('hybrid', 'wallMs')} | ${cells('vector', 'cpuMs')} | ${cells('hybrid', 'cpuMs')} | ${ratio.toFixed(2)} |`,
      );
    }
  }
  await store.close();
  console.log('');
  console.log(
    `command: node tools/cli/bin/run-ts.js libs/vector-store/bench/hybrid.bench.ts --products ${options.products} --queries ${options.queries} --runs ${options.runs} --dimension ${options.dimension} --seed ${options.seed}`,
  );
}

void main();
