/**
 * `vsearch golden set <file.jsonl>` / `vsearch golden show`: the golden query set every new index
 * generation is checked with before it goes live (admin API). The file is checked here first, so a
 * bad line exits 2 naming it before anything is sent.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseGoldenQueriesJsonl } from '@vsearch/contracts';
import { adminApiClient, withAdminApiOptions, type AdminApiOptions } from '../cli/admin-api';
import { CliError, UsageError } from '../cli/errors';

export function registerCommand(program: Command): void {
  const golden = program
    .command('golden')
    .description('golden queries: searches with the products each must find; a reindex swaps only if it answers them about as well as live (admin API)');

  withAdminApiOptions(
    golden
      .command('set <file>')
      .description('store a JSONL file, one {"query": "...", "expectedProductIds": [...]} or {"imageUrl": "...", "expectedProductIds": [...]} per line'),
  ).action(async (file: string, options: AdminApiOptions) => {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    const parsed = parseGoldenQueriesJsonl(text);
    if (!parsed.ok) throw new UsageError(`${file} is not a valid golden query set:\n  ${parsed.errors.join('\n  ')}`);
    const stored = await adminApiClient(options).putGoldenQueries(text);
    if (options.json) process.stdout.write(`${JSON.stringify(stored)}\n`);
    else process.stdout.write(`stored ${stored.queries} golden queries (${stored.updatedAt}); the next reindex is gated on them\n`);
  });

  withAdminApiOptions(golden.command('show').description('print the stored golden query set as JSONL')).action(async (options: AdminApiOptions) => {
    const jsonl = await adminApiClient(options).goldenQueries();
    if (!jsonl) throw new CliError('no golden query set is stored (vsearch golden set <file.jsonl>)');
    process.stdout.write(jsonl);
  });
}
