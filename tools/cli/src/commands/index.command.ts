import path from 'node:path';
import { Option, type Command } from 'commander';
import { catalogTopicNames } from '@vsearch/event-log';
import { integerArg } from '../cli/arguments';
import { jsonOption } from '../cli/common-options';
import { CliError } from '../cli/errors';
import { countCatalogEvents, resolveCatalogFile } from '../catalog/catalog-file';
import { publishCatalog, type PublishSummary } from '../catalog/publish-catalog';
import { createProgress } from '../output/progress';
import { describeEventLog, openEventLog } from '../stack/event-log';

interface IndexOptions {
  dryRun?: boolean;
  strict?: boolean;
  batchSize: number;
  dataDir: string;
  kafkaBrokers?: string;
  topicPrefix: string;
  topic?: string;
  json?: boolean;
}

/**
 * `vsearch index <catalog.jsonl|dir>`: validates every line against the catalog
 * event contract and publishes the valid ones onto the products topic (Kafka
 * when KAFKA_BROKERS is set, with KAFKA_TLS / KAFKA_SASL_* as the services read
 * them, else the embedded event log; TOPIC_PREFIX as ingestion uses it). Ingestion does the
 * rest. Exit 1 when some lines were invalid (the valid ones are published,
 * unless --strict).
 */
export function registerCommand(program: Command): void {
  program
    .command('index')
    .description('validate a catalog JSONL file (or a `vsearch generate` directory) and publish its events for ingestion')
    .argument('<catalog>', 'catalog.jsonl (one catalog event per line), or a directory containing catalog.jsonl')
    .option('--dry-run', 'validate only, publish nothing')
    .option('--strict', 'publish nothing when any line is invalid')
    .addOption(new Option('--batch-size <n>', 'events per publish call').default(500).argParser(integerArg('--batch-size', 1, 10_000)))
    .addOption(new Option('--kafka-brokers <list>', 'Kafka bootstrap servers, comma-separated (unset: the embedded event log)').env('KAFKA_BROKERS'))
    .addOption(new Option('--data-dir <dir>', 'where the embedded event log lives').env('DATA_DIR').default('./data'))
    .addOption(new Option('--topic-prefix <prefix>', 'prefix of the topic names, as ingestion uses it').env('TOPIC_PREFIX').default(''))
    .addOption(new Option('--topic <name>', 'topic to publish to (default: <topic-prefix>catalog.products.v1)'))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      ['', 'Examples:', '  $ vsearch index ./data/catalog', '  $ KAFKA_BROKERS=kafka:9092 vsearch index products.jsonl --strict'].join('\n'),
    )
    .action(async (target: string, options: IndexOptions) => {
      const file = await resolveCatalogFile(target);
      const dataDir = path.resolve(options.dataDir);
      const counted = await countCatalogEvents(file);
      const dryRun = options.dryRun || (options.strict && counted.invalid > 0);
      const topic = options.topic ?? catalogTopicNames(options.topicPrefix).products;
      const eventLogOptions = { kafkaBrokers: options.kafkaBrokers, dataDir, topicPrefix: options.topicPrefix };
      const eventLog = dryRun ? undefined : await openEventLog(eventLogOptions);
      const destination = eventLog ? describeEventLog(eventLog, eventLogOptions) : 'nowhere (validation only)';
      const progress = options.json ? undefined : createProgress({ label: 'publishing', unit: 'lines', total: counted.valid + counted.invalid });
      let summary: PublishSummary;
      try {
        summary = await publishCatalog(eventLog ?? { publish: async () => undefined }, file, {
          topic,
          batchSize: options.batchSize,
          dryRun,
          onProgress: (lines) => progress?.update(lines),
        });
      } catch (error) {
        throw new CliError(`publishing to ${destination} failed: ${(error as Error).message}`);
      } finally {
        progress?.finish();
        await eventLog?.close();
      }
      const published = dryRun ? 0 : summary.published;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ file, topic, destination: eventLog?.kind ?? 'none', ...summary, published, valid: summary.published }, null, 2)}\n`,
        );
      } else {
        const lines = [
          `${file}: ${summary.published} valid events (${summary.upserts} upserts, ${summary.deletes} deletes), ${summary.invalid} invalid`,
          dryRun
            ? `published nothing${options.strict && counted.invalid > 0 ? ' (--strict: some lines are invalid)' : ' (--dry-run)'}`
            : `published ${published} events to ${topic} on ${destination}`,
        ];
        for (const invalid of summary.invalidLines) lines.push(`  line ${invalid.lineNumber}: ${invalid.code}: ${invalid.message}`);
        if (summary.invalid > summary.invalidLines.length) lines.push(`  … and ${summary.invalid - summary.invalidLines.length} more invalid lines`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (summary.invalid > 0) throw new CliError(`${summary.invalid} invalid line${summary.invalid === 1 ? '' : 's'} in ${file}`);
    });
}
