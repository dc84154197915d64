import { Option, type Command } from 'commander';
import { SEARCH_MODES, SEARCH_SORTS, type SearchMode, type SearchSort } from '@vsearch/contracts';
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
  mode?: SearchMode;
  sort?: SearchSort;
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
    .addOption(
      new Option(
        '--mode <mode>',
        'text search: hybrid fuses keyword (BM25) and vector (CLIP) rankings, vector ranks by CLIP alone, keyword by the words alone (default: hybrid)',
      ).choices(SEARCH_MODES),
    )
    .addOption(
      new Option('--sort <order>', 'result order: relevance, price (ascending or descending), or most recently changed (default: relevance)').choices(
        SEARCH_SORTS,
      ),
    )
    .addOption(jsonOption())
    .addOption(apiUrlOption())
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      [
        '',
        'The table shows the score of the ranking used: the fused (RRF) score for hybrid, cosine similarity for vector and photo',
        'search, BM25 for keyword; and the number of products matched ("10000+ results" when more matched than the API counts).',
        '',
        'Examples:',
        '  $ vsearch search "red leather ankle boots" --max-price 120 --in-stock',
        '  $ vsearch search "Nimbus backpack" --sort price_asc',
        '  $ vsearch search "bakcpack" --mode keyword',
        '  $ vsearch search --image ./jacket.jpg --category outerwear --json',
      ].join('\n'),
    )
    .action(async (words: string[], options: SearchOptions) => {
      const text = words.join(' ').trim();
      if (text && options.image) throw new UsageError('give either search text or --image, not both');
      if (!text && !options.image) throw new UsageError('nothing to search for: give search text, e.g. vsearch search "red boots", or --image <file|url>');
      if (options.image && options.mode) throw new UsageError('--mode applies to text search; photo search always ranks by vector');
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
        sort: options.sort,
      };
      const client = new QueryApiClient(options.apiUrl, { timeoutMs: options.timeout });
      const response = options.image
        ? /^https?:\/\//i.test(options.image)
          ? await client.searchImageUrl(options.image, filters)
          : await client.searchImageFile(options.image, filters)
        : await client.searchText(text, { ...filters, mode: options.mode });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${formatResults(response, options.offset ?? 0)}\n`);
    });
}

/** "N results" from the API's total ("10000+ results" for a lower bound), or the rows shown when it does not count. */
export function resultCount(response: SearchResponse): string {
  const count = response.total ?? response.results.length;
  return `${count}${response.totalIsLowerBound ? '+' : ''} result${count === 1 && !response.totalIsLowerBound ? '' : 's'}`;
}

export function formatResults(response: SearchResponse, offset = 0): string {
  const shown = response.total !== undefined && response.results.length > 0 ? `, showing ${offset + 1}-${offset + response.results.length}` : '';
  const mode = response.mode ? `${response.mode}, ` : '';
  const summary = `${resultCount(response)}${shown} in ${Math.round(response.tookMs)} ms (${mode}model ${response.model})`;
  if (response.results.length === 0) return `no products matched\n${summary}`;
  const rows = response.results.map((result, index) => ({ rank: offset + index + 1, ...result }));
  const table = renderTable(
    [
      { header: '#', value: (row) => String(row.rank), align: 'right' },
      { header: 'score', value: (row) => formatScore(row.score), align: 'right' },
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

/** Three significant digits: a cosine (0.312), a fused score (0.0328) and a BM25 score (12.4) all read. */
function formatScore(score: number): string {
  return Math.abs(score) >= 1 ? score.toFixed(1) : score.toPrecision(3);
}
