/**
 * What the hybrid benchmarks share, so that every store they compare sees the same products, the
 * same vectors and the same queries: option parsing, the deterministic unit vectors, the catalog's
 * products as the store takes them, the embedded store filled with them, the shopper queries each
 * paired with a query vector, the cut-offs, and the percentiles the figures are given in.
 */
import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EmbeddedVectorStore } from '../src/embedded/embedded.vector-store';
import type { ProductWithImageVectors } from '../src/types';
import { querySets, syntheticCatalog, type BenchProduct } from './synthetic-shopper-catalog';

export interface HybridBenchOptions {
  products: number;
  queries: number;
  runs: number;
  dimension: number;
  seed: number;
}

export const DEFAULT_HYBRID_BENCH_OPTIONS: Readonly<HybridBenchOptions> = Object.freeze({ products: 100_000, queries: 40, runs: 3, dimension: 128, seed: 1 });

/** `--name value` pairs over the defaults; every option is a positive integer. */
export function parseHybridBenchArgs(argv: string[], defaults: Readonly<HybridBenchOptions> = DEFAULT_HYBRID_BENCH_OPTIONS): HybridBenchOptions {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '') as keyof HybridBenchOptions;
    if (!(key in options)) throw new Error(`unknown option ${argv[i]}`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} takes a positive integer, got ${argv[i]}`);
    options[key] = value;
  }
  return options;
}

/** The options as command-line flags, for the line that reproduces a run. */
export function hybridBenchFlags(options: HybridBenchOptions): string {
  return `--products ${options.products} --queries ${options.queries} --runs ${options.runs} --dimension ${options.dimension} --seed ${options.seed}`;
}

export function machineLine(): string {
  return `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}`;
}

/** Deterministic unit vectors (mulberry32 + Box-Muller). */
export function unitVectors(count: number, dimension: number, seed: number): Float32Array[] {
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

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
export const median = (values: number[]) => percentile(values, 0.5);

/** The median over runs of each run's p-th percentile of the samples kept: one noisy run moves it less than pooling would. */
export function medianOverRuns<Sample>(runs: Sample[][], p: number, keep: (sample: Sample) => boolean, value: (sample: Sample) => number): number {
  return median(runs.map((samples) => percentile(samples.filter(keep).map(value), p)));
}

/** Wall and CPU milliseconds of one awaited call (CPU: this process, every thread, user + system). */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await work();
  return { result, ...elapsedSince(start, cpu) };
}

/** `timed` for a synchronous call. */
export function timedSync<T>(work: () => T): { result: T; wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = work();
  return { result, ...elapsedSince(start, cpu) };
}

function elapsedSince(start: bigint, cpu: NodeJS.CpuUsage): { wallMs: number; cpuMs: number } {
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

let collectGarbage: (() => void) | undefined;

/** This process's heap in use and resident set after two full garbage collections (exposes `gc` on first use). */
export function memoryAfterGc(): { heapUsed: number; rss: number } {
  if (!collectGarbage) {
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as () => void;
  }
  collectGarbage();
  collectGarbage();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

/** The products and one random unit vector each: what every store in the comparison holds. */
export function benchCatalog(options: HybridBenchOptions): { products: BenchProduct[]; vectors: Float32Array[] } {
  const { products } = syntheticCatalog({ products: options.products, seed: options.seed });
  return { products, vectors: unitVectors(options.products, options.dimension, options.seed) };
}

/** A catalog product as the store takes it, with a price, stock and date that depend only on its position. */
export function productWithImage(product: BenchProduct, position: number, vector: Float32Array): ProductWithImageVectors {
  return {
    product: {
      productId: product.productId,
      version: 1,
      title: product.text.title,
      description: product.text.description,
      brand: product.text.brand,
      categories: [...product.text.categories],
      price: { amount: 5 + ((position * 7919) % 300), currency: 'EUR' },
      inStock: position % 5 !== 0,
      attributes: { ...product.text.attributes },
      updatedAt: new Date(Date.UTC(2024, 0, 1) + position * 60_000).toISOString(),
    },
    images: [{ imageId: 'main', imageUrl: `http://images.test/${product.productId}.jpg`, vector }],
  };
}

/** An in-memory embedded store holding the catalog, and what filling it cost (vectors and keyword index). */
export async function filledEmbeddedStore(
  products: readonly BenchProduct[],
  vectors: readonly Float32Array[],
  dimension: number,
): Promise<{ store: EmbeddedVectorStore; collection: string; wallMs: number; cpuMs: number }> {
  const store = new EmbeddedVectorStore();
  await store.open();
  const collection = await store.createGeneration('bench-model', dimension);
  const { wallMs, cpuMs } = await timed(async () => {
    for (let first = 0; first < products.length; first += 1000) {
      const batch = products.slice(first, first + 1000).map((product, i) => productWithImage(product, first + i, vectors[first + i]));
      await store.upsertProducts(collection, batch);
    }
  });
  return { store, collection, wallMs, cpuMs };
}

export interface BenchQuery {
  /** The query kind (QuerySet name). */
  set: string;
  text: string;
  vector: Float32Array;
}

/**
 * The shopper queries of every kind but prefix (search as you type is not a hybrid search), each
 * with its own random unit query vector. Each `draw` is another set of queries (other products,
 * other typos, other vectors), for runs that must not repeat the queries a cache has seen.
 */
export function benchQueries(products: readonly BenchProduct[], options: HybridBenchOptions, draw = 0): { kinds: string[]; queries: BenchQuery[] } {
  const sets = querySets([...products], options.queries, draw).filter((set) => !set.prefixLastTerm);
  const queryVectors = unitVectors(options.queries * sets.length, options.dimension, options.seed + 1000 + 7919 * draw);
  const queries = sets.flatMap((set, s) => set.queries.map((text, q) => ({ set: set.name, text, vector: queryVectors[s * options.queries + q] })));
  return { kinds: sets.map((set) => set.name), queries };
}

/**
 * The cut-offs: none (every product matches); a cosine threshold that about 1% of random vectors
 * pass (2.33 / sqrt(dimension)), standing in for a strict model threshold; and 0, which half of
 * them pass, standing in for a permissive one such as the bundled clip-mini's -0.015 (57% of these
 * vectors pass it): every text query then counts and facets a ranking MATCH_COUNT_CAP deep.
 */
export function cutOffs(dimension: number): Array<{ name: string; scoreThreshold?: number }> {
  return [
    { name: 'no threshold' },
    { name: 'threshold passing ~1%', scoreThreshold: 2.33 / Math.sqrt(dimension) },
    { name: 'threshold passing ~50%', scoreThreshold: 0 },
  ];
}
