import { Option, type Command } from 'commander';
import { httpUrlArg, integerArg } from '../cli/arguments';
import { jsonOption } from '../cli/common-options';
import { CliError } from '../cli/errors';
import { renderTable } from '../output/table';
import { generationOf, type CollectionInfo } from '@vsearch/contracts';
import { formatHealAndDeadLetters, readCatalogLog, readHealReport } from '../stack/heal-and-dead-letters';
import { probeEmbedder, probeHttpService, probeSearch, servingCollection } from '../stack/probes';
import { stackEndpoints, type StackEndpoints } from '../stack/wiring';

interface StatusOptions {
  apiUrl?: string;
  ingestionUrl?: string;
  embedderAddr?: string;
  searchAddr?: string;
  timeout: number;
  json?: boolean;
}

/**
 * The addresses to probe: each option when given, otherwise where `vsearch start` would put that
 * service with this environment (the same `*_PORT` and `*_ADDR` variables, read by one function).
 */
export function statusTargets(
  options: Pick<StatusOptions, 'apiUrl' | 'ingestionUrl' | 'embedderAddr' | 'searchAddr'>,
  environment: NodeJS.ProcessEnv,
): StackEndpoints {
  const started = stackEndpoints(environment);
  return {
    queryApiUrl: options.apiUrl ?? started.queryApiUrl,
    ingestionUrl: options.ingestionUrl ?? started.ingestionUrl,
    embedderAddr: options.embedderAddr ?? started.embedderAddr,
    searchAddr: options.searchAddr ?? started.searchAddr,
  };
}

/** `vsearch status`: is every service up, which model serves, which index generation, how many products. */
export function registerCommand(program: Command): void {
  program
    .command('status')
    .description('services up or down, the model, the index generation and its product and point counts (exit 1 when a service is down)')
    .addOption(
      new Option('--api-url <url>', 'base URL of the query API (default: VSEARCH_API_URL, else http://localhost:$QUERY_API_PORT, 8080)').argParser(
        httpUrlArg('--api-url'),
      ),
    )
    .addOption(
      new Option('--ingestion-url <url>', 'ingestion health endpoint base (default: INGESTION_URL, else http://127.0.0.1:$INGESTION_PORT, 8081)').argParser(
        httpUrlArg('--ingestion-url'),
      ),
    )
    .addOption(new Option('--embedder-addr <host:port>', 'embedder gRPC address (default: EMBEDDER_ADDR, else 127.0.0.1:$EMBEDDER_PORT, 50051)'))
    .addOption(new Option('--search-addr <host:port>', 'search gRPC address (default: SEARCH_ADDR, else 127.0.0.1:$SEARCH_PORT, 50052)'))
    .addOption(new Option('--timeout <ms>', 'per-probe timeout in milliseconds').default(3000).argParser(integerArg('--timeout', 1, 600_000)))
    .addOption(jsonOption())
    .action(async (options: StatusOptions) => {
      const targets = statusTargets(options, process.env);
      const [queryApi, ingestion, embedder, search] = await Promise.all([
        probeHttpService(targets.queryApiUrl, options.timeout),
        probeHttpService(targets.ingestionUrl, options.timeout),
        probeEmbedder(targets.embedderAddr, options.timeout),
        probeSearch(targets.searchAddr, options.timeout),
      ]);
      // Self-heal state, dead letters per reason and what the catalog log says the index should hold.
      const [heal, catalogLog] = await Promise.all([readHealReport(targets.ingestionUrl, options.timeout), readCatalogLog(process.env, options.timeout * 5)]);
      const serving = servingCollection(search.collections);
      const report = {
        services: { 'query-api': queryApi, ingestion, embedder, search: { state: search.state, address: search.address, error: search.error } },
        model: embedder.modelId ?? serving?.modelId,
        index: serving
          ? {
              alias: 'products',
              collection: serving.name,
              generation: generationOf(serving.name),
              modelId: serving.modelId,
              products: serving.productCount,
              points: serving.pointCount,
            }
          : undefined,
        collections: search.collections,
        heal,
        catalogLog,
      };
      const down = Object.entries(report.services)
        .filter(([, probe]) => probe.state === 'down')
        .map(([name]) => name);
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const healAndDeadLetters = formatHealAndDeadLetters(serving, search.collections, heal, catalogLog);
        process.stdout.write(`${[formatStatus(report.services, report.model, search.collections), '', ...healAndDeadLetters].join('\n')}\n`);
      }
      if (down.length > 0) throw new CliError(`${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down`);
    });
}

interface ServiceRow {
  name: string;
  state: string;
  where: string;
  details: string;
}

function formatStatus(
  services: Record<
    string,
    {
      state: string;
      url?: string;
      address?: string;
      error?: string;
      ready?: boolean;
      dependencies?: Record<string, string>;
      modelId?: string;
      executionProvider?: string;
    }
  >,
  model: string | undefined,
  collections: CollectionInfo[] | undefined,
): string {
  const rows: ServiceRow[] = Object.entries(services).map(([name, probe]) => ({
    name,
    state: probe.state,
    where: probe.url ?? probe.address ?? '',
    details:
      probe.state === 'down'
        ? (probe.error ?? '')
        : probe.modelId
          ? `${probe.modelId} on ${probe.executionProvider}`
          : probe.ready === false
            ? `not ready${
                probe.dependencies
                  ? `: ${Object.entries(probe.dependencies)
                      .filter(([, state]) => state !== 'up')
                      .map(([dependency]) => `${dependency} down`)
                      .join(', ')}`
                  : ''
              }`
            : probe.ready
              ? 'ready'
              : '',
  }));
  const parts = [
    renderTable(
      [
        { header: 'service', value: (row: ServiceRow) => row.name },
        { header: 'state', value: (row) => row.state },
        { header: 'address', value: (row) => row.where },
        { header: 'details', value: (row) => row.details, maxWidth: 70 },
      ],
      rows,
    ),
  ];
  if (model) parts.push(`\nmodel: ${model}`);
  if (collections && collections.length > 0) {
    parts.push(
      '',
      renderTable(
        [
          { header: 'collection', value: (row: CollectionInfo) => row.name },
          { header: 'generation', value: (row) => String(generationOf(row.name) ?? ''), align: 'right' },
          { header: 'aliases', value: (row) => row.aliases.join(',') },
          { header: 'model', value: (row) => row.modelId },
          { header: 'dim', value: (row) => String(row.dimension), align: 'right' },
          { header: 'products', value: (row) => String(row.productCount), align: 'right' },
          { header: 'points', value: (row) => String(row.pointCount), align: 'right' },
        ],
        collections,
      ),
    );
  } else if (collections) parts.push('\nno collections yet (nothing indexed)');
  return parts.join('\n');
}
