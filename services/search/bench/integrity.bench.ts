/**
 * What verifying checksums costs at start-up: the embedded store with one collection of 100k
 * products (one 512-dimension image each, ~205 MB of vectors) is written once, then opened
 * RUNS times as written (format 2: every block verified) and RUNS times with its manifest
 * rewritten as format 1 (the same reads, no checksums). Prints the medians.
 *
 *   node tools/cli/bin/run-ts.js services/search/bench/integrity.bench.ts [products] [runs]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedVectorStore, type ProductWithImageVectors } from '@vsearch/vector-store';

const PRODUCTS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 5);
const DIMENSION = 512;

function product(i: number, random: () => number): ProductWithImageVectors {
  const vector = new Float32Array(DIMENSION).map(() => random() * 2 - 1);
  return {
    product: {
      productId: `p${i}`,
      version: 1,
      title: `product ${i}`,
      description: '',
      brand: `brand${i % 50}`,
      categories: [`cat${i % 40}`],
      price: { amount: i % 500, currency: 'EUR' },
      inStock: i % 3 !== 0,
      attributes: {},
    },
    images: [{ imageId: 'a', imageUrl: `u/${i}`, vector }],
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeOpens(dir: string): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const store = new EmbeddedVectorStore({ dir, durable: false });
    const started = performance.now();
    await store.open();
    times.push(performance.now() - started);
    const [info] = await store.listCollections();
    if (info.productCount !== PRODUCTS || info.damage) throw new Error(`unexpected load: ${JSON.stringify(info)}`);
    // Not closed: close would snapshot (and upgrade a format-1 snapshot), changing what the next run reads.
  }
  return times;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integrity-bench-'));
  try {
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const writer = new EmbeddedVectorStore({ dir, durable: false, index: { exactSearchBelow: Number.MAX_SAFE_INTEGER } });
    await writer.open();
    const collection = await writer.createGeneration('bench', DIMENSION);
    for (let i = 0; i < PRODUCTS; i += 1_000) {
      await writer.upsertProducts(
        collection,
        Array.from({ length: Math.min(1_000, PRODUCTS - i) }, (_, n) => product(i + n, random)),
      );
    }
    await writer.close();

    const snapshotDir = path.join(
      dir,
      'collections',
      collection,
      fs.readdirSync(path.join(dir, 'collections', collection)).find((name) => name.startsWith('snapshot-'))!,
    );
    const vectorBytes = fs.statSync(path.join(snapshotDir, 'vectors.f32')).size;
    const productBytes = fs.statSync(path.join(snapshotDir, 'products.jsonl')).size;
    const verified = await timeOpens(dir);

    const manifestFile = path.join(snapshotDir, 'manifest.json');
    const { seq, dimension, index } = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { seq: number; dimension: number; index: unknown };
    fs.writeFileSync(manifestFile, JSON.stringify({ seq, dimension, index }));
    const unverified = await timeOpens(dir);

    console.log(
      `products ${PRODUCTS}, vectors.f32 ${(vectorBytes / 1e6).toFixed(0)} MB, products.jsonl ${(productBytes / 1e6).toFixed(0)} MB, ${RUNS} opens each`,
    );
    console.log(`open with checksums verified (format 2): median ${median(verified).toFixed(0)} ms  [${verified.map((t) => t.toFixed(0)).join(', ')}]`);
    console.log(`open without checksums (format 1):       median ${median(unverified).toFixed(0)} ms  [${unverified.map((t) => t.toFixed(0)).join(', ')}]`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
