import { DEFAULT_CATALOG_BASE_URL, generateCatalog, type HeldOutMode } from '@vsearch/catalog-generator';
import { InvalidArgumentError, type Command } from 'commander';

function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return parsed;
  };
}

interface GenerateOptions {
  seed: number;
  count: number;
  out: string;
  baseUrl: string;
  imagesPerProduct?: number;
  excludeHeldOut?: boolean;
  onlyHeldOut?: boolean;
  concurrency?: number;
}

/** `vsearch generate`: the synthetic catalog (images, catalog.jsonl, manifest.jsonl). */
export function registerCommand(program: Command): void {
  program
    .command('generate')
    .description('write a deterministic synthetic catalog: images, catalog.jsonl (product.upserted events) and manifest.jsonl (captions)')
    .requiredOption('--seed <n>', 'random seed; same seed and options give byte-identical files', integer('--seed', -(2 ** 31), 2 ** 31))
    .requiredOption('--count <n>', 'number of products', integer('--count', 0, 10_000_000))
    .requiredOption('--out <dir>', 'output directory')
    .option('--base-url <url>', 'image URLs are <base-url>/<productId>/<imageId>.<ext>', DEFAULT_CATALOG_BASE_URL)
    .option('--images-per-product <k>', 'images per product (default: 1 to 3, drawn per product)', integer('--images-per-product', 1, 20))
    .option('--exclude-held-out', 'never generate the held-out colour × pattern combinations (training data)')
    .option('--only-held-out', 'generate only the held-out combinations (evaluation)')
    .option('--concurrency <n>', 'products rendered at once', integer('--concurrency', 1, 256))
    .action(async (options: GenerateOptions) => {
      if (options.excludeHeldOut && options.onlyHeldOut) throw new Error('--exclude-held-out and --only-held-out exclude each other');
      const heldOut: HeldOutMode = options.excludeHeldOut ? 'exclude' : options.onlyHeldOut ? 'only' : 'include';
      const tty = process.stderr.isTTY;
      let lastReport = 0;
      const started = performance.now();
      const result = await generateCatalog({
        seed: options.seed,
        count: options.count,
        outDir: options.out,
        baseUrl: options.baseUrl,
        imagesPerProduct: options.imagesPerProduct,
        heldOut,
        concurrency: options.concurrency,
        onProgress: ({ products, total, images }) => {
          const now = performance.now();
          if (products !== total && now - lastReport < (tty ? 200 : 5000)) return;
          lastReport = now;
          const rate = products / Math.max(0.001, (now - started) / 1000);
          const line = `generate: ${products}/${total} products (${Math.round((100 * products) / Math.max(1, total))}%), ${images} images, ${rate.toFixed(1)} products/s`;
          if (tty) process.stderr.write(`\r${line}${products === total ? '\n' : ''}`);
          else process.stderr.write(`${line}\n`);
        },
      });
      const seconds = result.elapsedMs / 1000;
      console.log(
        [
          `wrote ${result.products} products and ${result.images} images (${(result.imageBytes / 1e6).toFixed(1)} MB; jpeg ${result.formats.jpeg}, png ${result.formats.png}, webp ${result.formats.webp})`,
          `  ${result.catalogPath}`,
          `  ${result.manifestPath}`,
          `  ${result.imagesDir}/`,
          `in ${seconds.toFixed(1)} s: ${(result.products / seconds).toFixed(1)} products/s, ${(result.images / seconds).toFixed(1)} images/s`,
        ].join('\n'),
      );
    });
}
