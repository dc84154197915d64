/**
 * `vsearch tags`: zero-shot tagging for merchandisers, over the query API's admin routes. A taxonomy
 * (YAML or JSON: attributes with labels, optional prompts, mode and threshold) is checked here first,
 * so a mistake exits 2 naming the attribute and label before anything is sent; then set, show,
 * preview (before applying), apply with a progress bar, export as CSV.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { validateTaxonomy, type TaxonomyInput } from '@vsearch/contracts';
import { QueryApiClient, type TaggingStatus, type TaxonomyStored } from '../api/query-api.client';
import { integerArg } from '../cli/arguments';
import { adminApiClient as apiClient, withAdminApiOptions as withApiOptions, type AdminApiOptions as ApiOptions } from '../cli/admin-api';
import { CliError, UsageError } from '../cli/errors';
import { createProgress } from '../output/progress';
import { renderTable } from '../output/table';

interface WaitOptions extends ApiOptions {
  wait?: boolean;
  pollMs: number;
  waitTimeout?: number;
}

export function registerCommand(program: Command): void {
  const tags = program.command('tags').description('zero-shot tagging: a taxonomy in words tags every product from its stored vectors (admin API)');

  withApiOptions(
    withWaitOptions(
      tags
        .command('set <file>')
        .description('store a taxonomy (.yaml, .yml or .json) as the next version and re-tag every product (queued behind a running re-tag)'),
    ),
  ).action(async (file: string, options: WaitOptions) => {
    const taxonomy = await readTaxonomyFile(file);
    const client = apiClient(options);
    const stored = await client.putTaxonomy(taxonomy);
    await reportStored(client, stored, options);
  });

  withApiOptions(tags.command('show').description('the active taxonomy and the re-tag progress')).action(async (options: ApiOptions) => {
    const status = await apiClient(options).taggingStatus();
    if (options.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${describeStatus(status)}\n`);
    if (!status.taxonomy) return;
    const rows = status.taxonomy.attributes.map((attribute) => ({
      ...attribute,
      labels: attribute.labels.map((label) => label.label).join(', '),
    }));
    process.stdout.write(
      `${renderTable(
        [
          { header: 'attribute', value: (row) => row.name },
          { header: 'mode', value: (row) => row.mode },
          { header: 'threshold', value: (row) => String(row.threshold), align: 'right' },
          { header: 'labels', value: (row) => row.labels, maxWidth: 80 },
        ],
        rows,
      )}\n`,
    );
  });

  withApiOptions(
    tags
      .command('preview <attribute>')
      .description("the products each of the attribute's labels would tag, most confident first")
      .option('--file <taxonomy>', 'preview this taxonomy (.yaml or .json) before applying it, instead of the stored one')
      .addOption(new Option('--limit <n>', 'products listed per label').default(5).argParser(integerArg('--limit', 1, 100))),
  ).action(async (attribute: string, options: ApiOptions & { file?: string; limit: number }) => {
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(attribute)) throw new UsageError(`attribute "${attribute}" is not an attribute name (lowercase letters, digits or "_")`);
    const candidate = options.file ? await readTaxonomyFile(options.file) : undefined;
    if (candidate && !candidate.attributes.some((entry) => entry.name === attribute)) {
      throw new UsageError(`attribute "${attribute}" is not in ${options.file} (it has ${candidate.attributes.map((entry) => entry.name).join(', ')})`);
    }
    const preview = await apiClient(options).previewTags(attribute, options.limit, candidate);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(preview, null, 2)}\n`);
      return;
    }
    for (const label of preview.labels) {
      process.stdout.write(`${label.label}: ${label.productCount} product${label.productCount === 1 ? '' : 's'}\n`);
      for (const product of label.products) process.stdout.write(`  ${product.confidence.toFixed(3)}  ${product.productId}  ${product.title}\n`);
    }
  });

  withApiOptions(
    withWaitOptions(tags.command('apply').description('embed the stored taxonomy again with the model served now and re-tag every product')),
  ).action(async (options: WaitOptions) => {
    const client = apiClient(options);
    await reportStored(client, await client.applyTags(), options);
  });

  withApiOptions(
    tags
      .command('export')
      .description('every tag as CSV: product_id,attribute,label,confidence (for review in a spreadsheet)')
      .option('--out <file.csv>', 'write to this file instead of standard output'),
  ).action(async (options: ApiOptions & { out?: string }) => {
    const csv = await apiClient(options).exportTags();
    if (!options.out) {
      process.stdout.write(csv);
      return;
    }
    try {
      await writeFile(options.out, csv);
    } catch (error) {
      throw new CliError(`cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const rows = csv.split('\r\n').filter(Boolean).length - 1;
    process.stderr.write(`${rows} tag${rows === 1 ? '' : 's'} written to ${options.out}\n`);
  });
}

function withWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'follow the re-tag with a progress bar until it is done (exit 1 if it fails)')
    .addOption(new Option('--poll-ms <ms>', 'how often --wait asks for progress').default(500).argParser(integerArg('--poll-ms', 50, 60_000)))
    .option('--wait-timeout <seconds>', 'give up waiting after this long (exit 1; the re-tag goes on)', integerArg('--wait-timeout', 1, 7 * 24 * 3600));
}

/** The file's taxonomy, checked as the API checks it: a mistake is a usage error (exit 2) naming it. */
export async function readTaxonomyFile(file: string): Promise<TaxonomyInput> {
  const extension = path.extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(extension)) throw new UsageError(`${file}: a taxonomy file must end in .yaml, .yml or .json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = extension === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : '';
    throw new UsageError(`${file} is not valid ${extension === '.json' ? 'JSON' : 'YAML'}${where}: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = validateTaxonomy(value);
  if (!result.ok) throw new UsageError(`${file}: ${result.error.message}`);
  return result.value;
}

async function reportStored(client: QueryApiClient, stored: TaxonomyStored, options: WaitOptions): Promise<void> {
  if (!options.wait) {
    process.stdout.write(options.json ? `${JSON.stringify(stored)}\n` : `${stored.message}\nfollow it with: vsearch tags show\n`);
    return;
  }
  if (!options.json) process.stderr.write(`${stored.message}\n`);
  const status = await followRetag(client, stored.taxonomyVersion, options);
  if (options.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else process.stdout.write(`${describeStatus(status)}\n`);
  if (status.state === 'failed') throw new CliError(`re-tagging failed: ${status.error ?? 'no reason given'}`);
}

/** Polls until `version` is the active taxonomy and its re-tag has ended, drawing products tagged of the total. */
async function followRetag(client: QueryApiClient, version: number, options: WaitOptions): Promise<TaggingStatus> {
  const deadline = options.waitTimeout === undefined ? Infinity : Date.now() + options.waitTimeout * 1000;
  const progress = options.json ? undefined : createProgress({ label: `re-tag v${version}`, unit: 'products', total: 0 });
  try {
    for (;;) {
      const status = await client.taggingStatus();
      const active = status.taxonomy?.version === version;
      if (active) progress?.update(status.productsTagged, status.productsTotal);
      if (active && (status.state === 'done' || status.state === 'failed')) return status;
      if (Date.now() > deadline) {
        throw new CliError(
          `gave up waiting for the re-tag of version ${version} after ${options.waitTimeout} s (state ${status.state}); it goes on in the background`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
  } finally {
    progress?.finish();
  }
}

function describeStatus(status: TaggingStatus): string {
  if (!status.taxonomy) return 'no taxonomy stored yet: vsearch tags set <file.yaml>';
  const queued = status.queuedVersion ? `; version ${status.queuedVersion} queued` : '';
  const failed = status.state === 'failed' ? `: ${status.error ?? 'no reason given'}` : '';
  return `taxonomy version ${status.taxonomy.version} (${status.modelId ?? 'unknown model'}): ${status.state}, ${status.productsTagged}/${status.productsTotal} products${failed}${queued}`;
}
