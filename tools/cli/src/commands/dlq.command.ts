import path from 'node:path';
import { Option, type Command } from 'commander';
import { catalogTopicNames, DeadLetterReader, isDeadLetterId, type DeadLetter, type DeadLetterFilter, type EventLog } from '@vsearch/event-log';
import { jsonOption } from '../cli/common-options';
import { CliError, UsageError } from '../cli/errors';
import { sinceArg } from '../cli/since-arg';
import { renderTable } from '../output/table';
import { describeEventLog, openEventLog, type OpenEventLogOptions } from '../stack/event-log';

interface EventLogFlags {
  kafkaBrokers?: string;
  dataDir: string;
  topicPrefix: string;
}

interface ListOptions extends EventLogFlags {
  since?: number;
  reason?: string;
  json?: boolean;
}

interface ShowOptions extends EventLogFlags {
  json?: boolean;
}

export interface ReplayOptions extends EventLogFlags {
  reason?: string;
  id?: string;
  all?: boolean;
  since?: number;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `vsearch dlq list|show|replay`: the dead letters of the catalog (`catalog.products.v1.dlq`)
 * for merchandisers, on Kafka (KAFKA_BROKERS, with KAFKA_TLS / KAFKA_SASL_*) or on the embedded
 * event log under DATA_DIR. `replay` republishes the original events to the catalog topic once
 * their cause is fixed; ingestion skips any whose product version is already stored, so a replay
 * can be repeated safely.
 */
export function registerCommand(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('list, show and replay the catalog events ingestion could not index (dead letters)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ vsearch dlq list --since 24h',
        '  $ vsearch dlq list --reason refused_address --json',
        '  $ vsearch dlq show 0-12',
        '  $ vsearch dlq replay --reason http_status --dry-run',
        '  $ vsearch dlq replay --id 0-12',
      ].join('\n'),
    );

  withEventLogOptions(dlq.command('list').description('dead letters, oldest first: id, when, stage, error code, product, reason'))
    .addOption(
      new Option('--since <time>', 'only letters dead-lettered since an ISO 8601 time or a duration back from now (30m, 2h, 7d)').argParser(
        sinceArg('--since'),
      ),
    )
    .addOption(new Option('--reason <code>', 'only letters with this error code (e.g. refused_address) or stage (parse, fetch, decode, embed, upsert, handle)'))
    .addOption(jsonOption())
    .action(async (options: ListOptions) => {
      const letters = await withReader(options, (reader) => reader.listDeadLetters({ sinceMs: options.since, reason: options.reason }));
      if (options.json) process.stdout.write(`${JSON.stringify(letters.map(deadLetterJson), null, 2)}\n`);
      else process.stdout.write(`${letters.length === 0 ? 'no dead letters match' : formatList(letters)}\n`);
    });

  withEventLogOptions(
    dlq
      .command('show')
      .description('one dead letter in full: why it failed, where it came from, the original event')
      .argument('<id>', 'the id `dlq list` prints (<partition>-<offset>)'),
  )
    .addOption(jsonOption())
    .action(async (id: string, options: ShowOptions) => {
      if (!isDeadLetterId(id)) throw new UsageError(`dead-letter id "${id}" is not <partition>-<offset> (e.g. 0-12); \`vsearch dlq list\` prints the ids`);
      const letter = await withReader(options, (reader) => reader.findDeadLetter(id));
      if (!letter) throw new CliError(`no dead letter ${id} on ${topicsOf(options).deadLetters}`);
      process.stdout.write(`${options.json ? JSON.stringify(deadLetterJson(letter), null, 2) : formatLetter(letter)}\n`);
    });

  withEventLogOptions(dlq.command('replay').description('republish the original events of dead letters to the catalog topic (after fixing their cause)'))
    .addOption(new Option('--reason <code>', 'replay the letters with this error code or stage'))
    .addOption(new Option('--id <id>', 'replay this one letter (<partition>-<offset>)'))
    .addOption(new Option('--all', 'replay every dead letter'))
    .addOption(new Option('--since <time>', 'only letters dead-lettered since an ISO 8601 time or a duration back from now').argParser(sinceArg('--since')))
    .addOption(new Option('--dry-run', 'list what would be republished, publish nothing'))
    .addOption(jsonOption())
    .action(async (options: ReplayOptions) => {
      const filter = replayFilterFromOptions(options);
      const topics = topicsOf(options);
      const replay = await withReader(options, (reader) => reader.replayDeadLetters(filter, { dryRun: options.dryRun }));
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ dryRun: options.dryRun ?? false, topic: topics.products, republished: replay.republished.map((letter) => letter.id), duplicates: replay.duplicates.map((letter) => letter.id) }, null, 2)}\n`,
        );
        return;
      }
      const lines: string[] = [];
      if (replay.republished.length === 0) lines.push('no dead letters match: nothing republished');
      else {
        lines.push(formatList(replay.republished), '');
        lines.push(
          options.dryRun
            ? `would republish ${replay.republished.length} events to ${topics.products} (dry run: nothing published)`
            : `republished ${replay.republished.length} events to ${topics.products}; ingestion indexes them again and skips any whose version is already stored`,
        );
      }
      if (replay.duplicates.length > 0)
        lines.push(
          `${replay.duplicates.length} letters repeat a product version already in this replay: left out (${replay.duplicates.map((letter) => letter.id).join(', ')})`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** What `dlq replay` replays: exactly one of --reason, --id or --all (so nothing is replayed by accident), narrowed by --since. */
export function replayFilterFromOptions(options: Pick<ReplayOptions, 'reason' | 'id' | 'all' | 'since'>): DeadLetterFilter {
  const chosen = (['reason', 'id', 'all'] as const).filter((name) => options[name] !== undefined && options[name] !== false);
  if (chosen.length === 0) throw new UsageError('dlq replay needs --reason <code>, --id <id> or --all (what to replay)');
  if (chosen.length > 1) throw new UsageError(`dlq replay takes one of --reason, --id and --all, not ${chosen.map((name) => `--${name}`).join(' and ')}`);
  if (options.id !== undefined && !isDeadLetterId(options.id))
    throw new UsageError(`--id "${options.id}" is not <partition>-<offset> (e.g. 0-12); \`vsearch dlq list\` prints the ids`);
  return { reason: options.reason, id: options.id, sinceMs: options.since };
}

function withEventLogOptions(command: Command): Command {
  return command
    .addOption(new Option('--kafka-brokers <list>', 'Kafka bootstrap servers, comma-separated (unset: the embedded event log)').env('KAFKA_BROKERS'))
    .addOption(new Option('--data-dir <dir>', 'where the embedded event log lives').env('DATA_DIR').default('./data'))
    .addOption(new Option('--topic-prefix <prefix>', 'prefix of the topic names, as ingestion uses it').env('TOPIC_PREFIX').default(''));
}

function topicsOf(options: EventLogFlags): { products: string; deadLetters: string } {
  return catalogTopicNames(options.topicPrefix);
}

async function withReader<T>(options: EventLogFlags, read: (reader: DeadLetterReader) => Promise<T>): Promise<T> {
  const logOptions: OpenEventLogOptions = { kafkaBrokers: options.kafkaBrokers, dataDir: path.resolve(options.dataDir), topicPrefix: options.topicPrefix };
  let eventLog: EventLog | undefined;
  try {
    eventLog = await openEventLog(logOptions);
    return await read(new DeadLetterReader(eventLog, topicsOf(options)));
  } catch (error) {
    if (error instanceof CliError) throw error;
    const where = eventLog ? describeEventLog(eventLog, logOptions) : 'the event log';
    throw new CliError(`reading ${topicsOf(options).deadLetters} on ${where} failed: ${(error as Error).message}`);
  } finally {
    await eventLog?.close();
  }
}

function productOf(letter: DeadLetter): string {
  if (letter.productId === undefined) return letter.key ?? '';
  return letter.version === undefined ? letter.productId : `${letter.productId}@${letter.version}`;
}

function formatList(letters: DeadLetter[]): string {
  return renderTable(
    [
      { header: 'id', value: (letter: DeadLetter) => letter.id },
      { header: 'failed at', value: (letter) => letter.failedAt },
      { header: 'stage', value: (letter) => letter.stage },
      { header: 'code', value: (letter) => letter.errorCode },
      { header: 'product', value: productOf, maxWidth: 40 },
      { header: 'reason', value: (letter) => letter.reason, maxWidth: 60 },
    ],
    letters,
  );
}

function formatLetter(letter: DeadLetter): string {
  const origin = letter.originalTopic
    ? `${letter.originalTopic} partition ${letter.originalPartition ?? '?'} offset ${letter.originalOffset ?? '?'}`
    : 'unknown';
  return [
    `id:         ${letter.id}`,
    `product:    ${productOf(letter) || '(no key)'}`,
    `failed at:  ${letter.failedAt}`,
    `stage:      ${letter.stage}`,
    `code:       ${letter.errorCode}`,
    `reason:     ${letter.reason}`,
    `came from:  ${origin}`,
    ...(Object.keys(letter.originalHeaders).length > 0 ? [`headers:    ${JSON.stringify(letter.originalHeaders)}`] : []),
    'event:',
    indent(eventText(letter.value)),
  ].join('\n');
}

/** The original event, pretty-printed when it is JSON, as text otherwise (a malformed event is shown as it came). */
function eventText(value: Buffer | null): string {
  if (value === null) return '(tombstone: no value)';
  const text = value.toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function deadLetterJson(letter: DeadLetter): Record<string, unknown> {
  const { value, ...rest } = letter;
  return { ...rest, value: value === null ? null : value.toString('utf8') };
}
