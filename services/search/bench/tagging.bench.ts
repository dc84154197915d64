/**
 * Zero-shot tagging throughput: products re-tagged per second from stored vectors, and the extra
 * cost tagging adds to an upsert. Writes the `tagging` section of docs/benchmarks.md.
 *
 * Usage: node tools/cli/bin/run-ts.js services/search/bench/tagging.bench.ts [--products 100000] [--runs 5] [--no-write]
 *
 * Three figures, medians over runs:
 * 1. the tagger alone (libs/zero-shot) over in-memory unit vectors, against a ceiling measured in the
 *    same run: the same number of dot products in a bare loop (what any implementation must compute);
 * 2. a whole re-tag through the search service's TaggingService and the embedded store (in memory):
 *    scanning stored vectors in pages, tagging, writing the tags back;
 * 3. upserts of 64-product batches into the embedded store with and without an active tagging.
 * Random unit vectors at clip-mini's dimension (128) and at 512, two images per product, the
 * evaluation taxonomy's shape (category 12, colour 12, pattern 4 labels = 28 labels).
 */
import { loadavg } from 'node:os';
import { createLogger, createMetricsRegistry } from '@vsearch/observability';
import { describeMachine, median, writeBenchmarkSection } from '@vsearch/testing';
import { EmbeddedVectorStore, type ProductWithImageVectors } from '@vsearch/vector-store';
import { LabelMatrix, ZeroShotTagger } from '@vsearch/zero-shot';
import type { ActiveTagging, TaggingInput } from '@vsearch/contracts';
import { SearchMetrics } from '../src/metrics/search.metrics';
import { TaggingService } from '../src/services/tagging.service';

interface Options {
  products: number;
  runs: number;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { products: 100_000, runs: 5, write: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--products') options.products = Number(argv[++i]);
    else if (argv[i] === '--runs') options.runs = Number(argv[++i]);
    else if (argv[i] === '--no-write') options.write = false;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return options;
}

const IMAGES_PER_PRODUCT = 2;
const ATTRIBUTES = [
  { name: 'category', labels: 12 },
  { name: 'colour', labels: 12 },
  { name: 'pattern', labels: 4 },
];

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomUnit(random: () => number, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  let squares = 0;
  for (let i = 0; i < dimension; i++) {
    vector[i] = random() * 2 - 1;
    squares += vector[i] * vector[i];
  }
  const norm = Math.sqrt(squares);
  for (let i = 0; i < dimension; i++) vector[i] /= norm;
  return vector;
}

function taggingInput(dimension: number, random: () => number): TaggingInput {
  return {
    taxonomy: {
      attributes: ATTRIBUTES.map(({ name, labels }) => ({
        name,
        mode: 'single',
        threshold: 0.5,
        labels: Array.from({ length: labels }, (_, i) => ({ label: `${name}${i}` })),
      })),
    },
    modelId: `bench@${dimension}`,
    logitScale: 100,
    labelVectors: ATTRIBUTES.flatMap(({ name, labels }) =>
      Array.from({ length: labels }, (_, i) => ({ attribute: name, label: `${name}${i}`, vector: randomUnit(random, dimension) })),
    ),
  };
}

function asActive(input: TaggingInput): ActiveTagging {
  return { ...input, taxonomy: { ...input.taxonomy, version: 1, createdAt: new Date().toISOString() } };
}

function product(index: number, dimension: number, random: () => number): ProductWithImageVectors {
  return {
    product: {
      productId: `p${index}`,
      version: 1,
      title: `product ${index}`,
      description: '',
      brand: '',
      categories: ['c'],
      price: { amount: 10, currency: 'EUR' },
      inStock: true,
      attributes: {},
    },
    images: Array.from({ length: IMAGES_PER_PRODUCT }, (_, i) => ({ imageId: `i${i}`, imageUrl: '', vector: randomUnit(random, dimension) })),
  };
}

/**
 * The tagger alone, and the ceiling: the same dot products (products × labels, over the mean of a
 * product's images) with the library's kernel and nothing else (no softmax, thresholds or tag objects).
 */
function measureTagger(dimension: number, options: Options): { tagger: number; ceiling: number } {
  const random = seededRandom(dimension);
  const tagger = new ZeroShotTagger(asActive(taggingInput(dimension, random)));
  const images = Array.from({ length: options.products }, () => Array.from({ length: IMAGES_PER_PRODUCT }, () => randomUnit(random, dimension)));
  const labels = ATTRIBUTES.reduce((sum, attribute) => sum + attribute.labels, 0);
  const matrix = new LabelMatrix(
    Array.from({ length: labels }, () => randomUnit(random, dimension)),
    dimension,
  );
  const cosines = matrix.newRowBuffer();
  const taggerRates: number[] = [];
  const ceilingRates: number[] = [];
  let sink = 0;
  for (let run = 0; run < options.runs; run++) {
    let started = performance.now();
    for (const productImages of images) sink += tagger.tagImages(productImages).length;
    taggerRates.push(options.products / ((performance.now() - started) / 1000));
    started = performance.now();
    const sum = new Float64Array(dimension);
    for (const productImages of images) {
      for (let i = 0; i < dimension; i++) sum[i] = productImages[0][i] + productImages[1][i];
      sink += matrix.multiply(sum, cosines)[0];
    }
    ceilingRates.push(options.products / ((performance.now() - started) / 1000));
  }
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the loops from being optimised away');
  return { tagger: median(taggerRates), ceiling: median(ceilingRates) };
}

async function filledStore(dimension: number, count: number): Promise<EmbeddedVectorStore> {
  const store = new EmbeddedVectorStore({ durable: false });
  await store.open();
  await store.swapAlias('products', await store.createGeneration(`bench@${dimension}`, dimension));
  const random = seededRandom(dimension + 1);
  for (let start = 0; start < count; start += 1000) {
    await store.upsertProducts(
      undefined,
      Array.from({ length: Math.min(1000, count - start) }, (_, i) => product(start + i, dimension, random)),
    );
  }
  return store;
}

/**
 * A whole re-tag through TaggingService and the embedded store, products per second: with labels that
 * change for most products (two random taxonomies in turn: every product's keyword entry is rebuilt),
 * and re-applying the same taxonomy (labels unchanged, as after a threshold tweak: tags and versions only).
 */
async function measureRetag(dimension: number, options: Options): Promise<{ labelsChange: number; labelsChangeCpu: number; labelsKept: number }> {
  const store = await filledStore(dimension, options.products);
  const service = new TaggingService(store, new SearchMetrics(createMetricsRegistry('bench'), store), createLogger('bench', 'silent'));
  const random = seededRandom(dimension + 2);
  const taxonomies = [taggingInput(dimension, random), taggingInput(dimension, random)];
  // products per second of wall time, and per second of this process's CPU time (what a shared machine's waits leave out)
  const retag = async (input: TaggingInput): Promise<{ wall: number; cpu: number }> => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await service.put('products', input);
    await service.idle();
    const cpu = process.cpuUsage(cpuBefore);
    const status = await service.describe();
    if (status.state !== 'done') throw new Error(`re-tag ended ${status.state}: ${status.error}`);
    return { wall: options.products / ((performance.now() - started) / 1000), cpu: options.products / ((cpu.user + cpu.system) / 1e6) };
  };
  const labelsChange: Array<{ wall: number; cpu: number }> = [];
  const labelsKept: number[] = [];
  for (let run = 0; run < options.runs; run++) labelsChange.push(await retag(taxonomies[run % 2]));
  for (let run = 0; run < options.runs; run++) labelsKept.push((await retag(taxonomies[(options.runs - 1) % 2])).wall);
  await store.close();
  return {
    labelsChange: median(labelsChange.map((rate) => rate.wall)),
    labelsChangeCpu: median(labelsChange.map((rate) => rate.cpu)),
    labelsKept: median(labelsKept),
  };
}

/** Microseconds per product of 64-product upserts into the embedded store, without and with an active tagging. */
async function measureUpsert(dimension: number, options: Options): Promise<{ plain: number; tagged: number }> {
  const batches = 200;
  const result = { plain: [] as number[], tagged: [] as number[] };
  for (let run = 0; run < options.runs; run++) {
    for (const mode of ['plain', 'tagged'] as const) {
      const store = await filledStore(dimension, 0);
      const service = new TaggingService(store, new SearchMetrics(createMetricsRegistry('bench'), store), createLogger('bench', 'silent'));
      const random = seededRandom(run);
      if (mode === 'tagged') {
        await service.put('products', taggingInput(dimension, random));
        await service.idle();
      }
      const writes = Array.from({ length: batches }, (_, b) => Array.from({ length: 64 }, (_, i) => product(b * 64 + i, dimension, random)));
      const started = performance.now();
      for (const batch of writes) await store.upsertProducts('products', await service.tagForUpsert('products', batch));
      result[mode].push(((performance.now() - started) * 1000) / (batches * 64));
      await store.close();
    }
  }
  return { plain: median(result.plain), tagged: median(result.tagged) };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const loadAtStart = loadavg()[0];
  const rows: string[] = [];
  for (const dimension of [128, 512]) {
    const tagger = measureTagger(dimension, options);
    const retag = await measureRetag(dimension, options);
    const upsert = await measureUpsert(dimension, options);
    const line = `| ${dimension} | ${Math.round(tagger.tagger).toLocaleString('en')} | ${Math.round(tagger.ceiling).toLocaleString('en')} | ${(tagger.tagger / tagger.ceiling).toFixed(2)} | ${Math.round(retag.labelsChange).toLocaleString('en')} | ${Math.round(retag.labelsChangeCpu).toLocaleString('en')} | ${Math.round(retag.labelsKept).toLocaleString('en')} | ${upsert.plain.toFixed(1)} | ${upsert.tagged.toFixed(1)} | ${(upsert.tagged - upsert.plain).toFixed(1)} |`;
    console.log(line);
    rows.push(line);
  }
  const markdown = [
    '## Zero-shot tagging',
    '',
    `Command: \`node tools/cli/bin/run-ts.js services/search/bench/tagging.bench.ts --products ${options.products} --runs ${options.runs}\`. Machine: ${describeMachine()}.`,
    `The machine was shared with other jobs while this ran (load average, 1 min: ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end): figures are medians over runs, and the ratio to a ceiling measured in the same run, or the rate per CPU second, is the figure to compare.`,
    '',
    `${options.products.toLocaleString('en')} products × ${IMAGES_PER_PRODUCT} random unit image vectors, a taxonomy of 3 attributes and 28 labels (the evaluation taxonomy's shape), one core (the tagger is synchronous).`,
    'Tagger: libs/zero-shot alone, products/s. Ceiling: the same dot products with the same kernel and nothing else, products/s. Re-tag: a whole re-tag through the search service (scan stored vectors in pages of 1,000, tag, write tags back to the embedded store in memory), products/s, when most products get other labels (their tag-index entries are rebuilt) and when the labels stay (a threshold tweak); the first, also per second of the process CPU time (user + system), which leaves out the waits for a core on a shared machine.',
    'Upsert: µs per product of 64-product upserts into the embedded store (in memory, no fsync), without and with an active tagging.',
    '',
    '| dimension | tagger (products/s) | ceiling (products/s) | tagger / ceiling | re-tag, labels change (products/s) | re-tag, labels change (products/CPU-s) | re-tag, labels kept (products/s) | upsert, untagged (µs/product) | upsert, tagged (µs/product) | extra per upsert (µs) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  if (options.write) writeBenchmarkSection('tagging', markdown);
  console.log(markdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
