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
 * Three cut-offs (see cutOffs): none (every product matches; count and facets come from the
 * per-filter summary), a threshold about 1% of random vectors pass, and one half of them pass (the
 * bundled model's threshold lets most of a catalog of random vectors through). Real CLIP scores are
 * not random, so the share that passes differs in production.
 * Every query asks for 24 hits with facets, as the web page does.
 *
 * Each run (and the warm-up run before them) draws its own queries (benchQueries' `draw`): the
 * keyword index keeps common words' matches until the next write, so a run repeating the queries
 * of the one before would measure look-ups of what it had just searched. Words common to many
 * queries (category labels, brands, colours) are still met again, as in a shop's traffic.
 */
import type { SearchMode } from '@vsearch/contracts';
import {
  benchCatalog,
  benchQueries,
  cutOffs,
  filledEmbeddedStore,
  hybridBenchFlags,
  machineLine,
  medianOverRuns,
  parseHybridBenchArgs,
  timed,
} from './hybrid-bench-setup';

interface Sample {
  set: string;
  mode: SearchMode;
  wallMs: number;
  cpuMs: number;
}

async function main(): Promise<void> {
  const options = parseHybridBenchArgs(process.argv.slice(2));
  console.log(
    `hybrid vs vector bench: ${options.products} products, ${options.dimension} dimensions, ${options.queries} queries per kind, ${options.runs} runs, seed ${options.seed}`,
  );
  console.log(machineLine());

  const { products, vectors } = benchCatalog(options);
  const { store, collection, wallMs, cpuMs } = await filledEmbeddedStore(products, vectors, options.dimension);
  console.log(`store filled (vectors + keyword index) in ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`);

  const { kinds } = benchQueries(products, options);
  for (const [cutOff, { name: thresholdName, scoreThreshold }] of cutOffs(options.dimension).entries()) {
    const runs: Sample[][] = [];
    for (let run = 0; run < options.runs + 1; run++) {
      const samples: Sample[] = [];
      for (const { set, text, vector } of benchQueries(products, options, cutOff * (options.runs + 1) + run).queries) {
        for (const mode of ['vector', 'hybrid'] as const) {
          const { wallMs, cpuMs } = await timed(() => store.searchSimilar({ collection, vector, text, mode, scoreThreshold, limit: 24, withFacets: true }));
          samples.push({ set, mode, wallMs, cpuMs });
        }
      }
      if (run > 0) runs.push(samples); // run 0 warms up
    }
    const figure = (mode: SearchMode, p: number, field: 'wallMs' | 'cpuMs', set?: string) =>
      medianOverRuns(
        runs,
        p,
        (sample) => sample.mode === mode && (set === undefined || sample.set === set),
        (sample) => sample[field],
      );

    console.log('');
    console.log(`### ${thresholdName}`);
    console.log('');
    console.log(
      '| queries | vector p50 / p95 ms (wall) | hybrid p50 / p95 ms (wall) | vector p50 / p95 ms (CPU) | hybrid p50 / p95 ms (CPU) | hybrid / vector p95 (CPU) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const set of [undefined, ...kinds]) {
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
  console.log(`command: node tools/cli/bin/run-ts.js libs/vector-store/bench/hybrid.bench.ts ${hybridBenchFlags(options)}`);
}

void main();
