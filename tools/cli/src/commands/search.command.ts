import { Option, type Command } from 'commander';
import { QueryApiClient, type SearchFilters, type SearchResponse } from '../api/query-api.client';
import { collectList, integerArg, nonNegativeNumberArg } from '../cli/arguments';
import { apiUrlOption, jsonOption, timeoutOption } from '../cli/common-options';
import { UsageError } from '../cli/errors';
import { renderTable } from '../output/table';

interface SearchOptions {
  image?: string;
  category?: string[];
  brand?: string[];
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  outOfStock?: boolean;
  limit?: number;
  offset?: number;
  json?: boolean;
  apiUrl: string;
  timeout: number;
}

/** `vsearch search "<text>"` / `vsearch search --image <file|url>`: the shoppers' search, from a terminal. */
export function registerCommand(program: Command): void {
  program
    .command('search')
    .description('search the catalog by text, or by a photo (a local file or an http(s) URL), through the query API')
    .argument('[text...]', 'what to look for, e.g. "red leather ankle boots"')
    .option('--image <file|url>', 'search by this photo instead of text (JPEG, PNG or WebP)')
    .option('--category <name>', 'only products in this category (repeatable, or comma-separated)', collectList)
    .option('--brand <name>', 'only products of this brand (repeatable, or comma-separated)', collectList)
    .option('--min-price <amount>', 'lowest price, inclusive', nonNegativeNumberArg('--min-price'))
    .option('--max-price <amount>', 'highest price, inclusive', nonNegativeNumberArg('--max-price'))
    .addOption(new Option('--in-stock', 'only products in stock').conflicts('outOfStock'))
    .option('--out-of-stock', 'only products out of stock')
    .option('--limit <n>', 'results per page (1 to 100)', integerArg('--limit', 1, 100))
    .option('--offset <n>', 'results to skip (paging, 0 to 1000)', integerArg('--offset', 0, 1000))
    .addOption(jsonOption())
    .addOption(apiUrlOption())
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      ['', 'Examples:', '  $ vsearch search "red leather ankle boots" --max-price 120 --in-stock', '  $ vsearch search --image ./jacket.jpg --category outerwear --json'].join('\n'),
    )
    .action(async (words: string[], options: SearchOptions) => {
      const text = words.join(' ').trim();
      if (text && options.image) throw new UsageError('give either search text or --image, not both');
      if (!text && !options.image) throw new UsageError('nothing to search for: give search text, e.g. vsearch search "red boots", or --image <file|url>');
      if (options.minPrice !== undefined && options.maxPrice !== undefined && options.minPrice > options.maxPrice) {
        throw new UsageError(`--min-price (${options.minPrice}) is greater than --max-price (${options.maxPrice})`);
      }
      const filters: SearchFilters = {
        category: options.category,
        brand: options.brand,
        minPrice: options.minPrice,
        maxPrice: options.maxPrice,
        inStock: options.inStock ? true : options.outOfStock ? false : undefined,
        limit: options.limit,
        offset: options.offset,
      };
      const client = new QueryApiClient(options.apiUrl, { timeoutMs: options.timeout });
      const response = options.image
        ? /^https?:\/\//i.test(options.image)
          ? await client.searchImageUrl(options.image, filters)
          : await client.searchImageFile(options.image, filters)
        : await client.searchText(text, filters);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${formatResults(response, options.offset ?? 0)}\n`);
    });
}

export function formatResults(response: SearchResponse, offset = 0): string {
  const summary = `${response.results.length} result${response.results.length === 1 ? '' : 's'} in ${Math.round(response.tookMs)} ms (model ${response.model})`;
  if (response.results.length === 0) return `no products matched\n${summary}`;
  const rows = response.results.map((result, index) => ({ rank: offset + index + 1, ...result }));
  const table = renderTable(
    [
      { header: '#', value: (row) => String(row.rank), align: 'right' },
      { header: 'score', value: (row) => row.score.toFixed(3), align: 'right' },
      { header: 'product', value: (row) => row.productId, maxWidth: 24 },
      { header: 'title', value: (row) => row.title, maxWidth: 44 },
      { header: 'price', value: (row) => `${row.price.amount.toFixed(2)} ${row.price.currency}`, align: 'right' },
      { header: 'brand', value: (row) => row.brand ?? '', maxWidth: 18 },
      { header: 'category', value: (row) => row.categories.join(' / '), maxWidth: 28 },
      { header: 'stock', value: (row) => (row.inStock === undefined ? '' : row.inStock ? 'in' : 'out') },
    ],
    rows,
  );
  return `${table}\n${summary}`;
}
