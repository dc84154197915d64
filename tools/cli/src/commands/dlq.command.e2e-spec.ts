/**
 * `vsearch dlq` as a merchandiser runs it, on the embedded event log under DATA_DIR.
 * real: the CLI process, the embedded file event log, DeadLetterPublisher (as ingestion writes dead letters).
 * fake: nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catalogTopicNames, DeadLetterPublisher, FileEventLog, REPLAYED_FROM_HEADER, type ConsumedEvent } from '@vsearch/event-log';
import { spawnCli } from '@vsearch/testing';

const topics = catalogTopicNames('');

async function vsearch(args: string[], dataDir: string): Promise<{ code: number | null; output: string }> {
  const cli = spawnCli(args, { env: { DATA_DIR: dataDir, KAFKA_BROKERS: undefined, TOPIC_PREFIX: undefined } });
  const code = await cli.exited;
  return { code, output: cli.output() };
}

function original(productId: string, version: number): ConsumedEvent {
  return {
    topic: topics.products,
    partition: 0,
    offset: String(version),
    key: productId,
    value: Buffer.from(JSON.stringify({ type: 'product.upserted', productId, version, title: `Product ${productId}` })),
    headers: {},
    timestamp: Date.now(),
  };
}

describe('vsearch dlq', () => {
  let dataDir: string;
  let log: FileEventLog;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'vsearch-dlq-'));
    log = new FileEventLog({ dir: path.join(dataDir, 'event-log') });
    const publisher = new DeadLetterPublisher(log, topics.deadLetters);
    await publisher.publishDeadLetter(original('p-1', 1), { stage: 'fetch', errorCode: 'refused_address', reason: 'image URL points at a private address' });
    await publisher.publishDeadLetter(original('p-2', 5), { stage: 'parse', errorCode: 'schema_violation', reason: 'price.currency: must be 3 letters' });
  });

  afterAll(async () => {
    await log.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the dead letters with their ids and reasons, and filters by reason', async () => {
    const all = await vsearch(['dlq', 'list'], dataDir);
    expect(all.code).toBe(0);
    expect(all.output).toMatch(/0-0 .* fetch .* refused_address .* p-1@1 .* image URL points at a private address/);
    expect(all.output).toMatch(/0-1 .* parse .* schema_violation .* p-2@5/);

    const filtered = await vsearch(['dlq', 'list', '--reason', 'parse', '--json'], dataDir);
    expect(filtered.code).toBe(0);
    expect((JSON.parse(filtered.output) as { id: string }[]).map((letter) => letter.id)).toEqual(['0-1']);
  });

  it('shows one letter in full, and says when an id is unknown (exit 1) or malformed (exit 2)', async () => {
    const shown = await vsearch(['dlq', 'show', '0-1'], dataDir);
    expect(shown.code).toBe(0);
    expect(shown.output).toContain('reason:     price.currency: must be 3 letters');
    expect(shown.output).toContain(`came from:  ${topics.products} partition 0 offset 5`);
    expect(shown.output).toContain('"productId": "p-2"');

    const unknown = await vsearch(['dlq', 'show', '0-99'], dataDir);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain(`no dead letter 0-99 on ${topics.deadLetters}`);

    const malformed = await vsearch(['dlq', 'show', 'latest'], dataDir);
    expect(malformed.code).toBe(2);
    expect(malformed.output).toContain('dead-letter id "latest" is not <partition>-<offset>');
  });

  it('refuses a bad --since and a replay without a choice as usage errors (exit 2)', async () => {
    const since = await vsearch(['dlq', 'list', '--since', 'yesterday'], dataDir);
    expect(since.code).toBe(2);
    expect(since.output).toContain('--since must be an ISO 8601 date-time');
    const replay = await vsearch(['dlq', 'replay'], dataDir);
    expect(replay.code).toBe(2);
    expect(replay.output).toContain('dlq replay needs --reason <code>, --id <id> or --all');
  });

  it('republishes nothing in a dry run, then the chosen original event to the catalog topic', async () => {
    const dry = await vsearch(['dlq', 'replay', '--reason', 'refused_address', '--dry-run'], dataDir);
    expect(dry.code).toBe(0);
    expect(dry.output).toContain(`would republish 1 events to ${topics.products} (dry run: nothing published)`);
    expect((await log.endOffsets(topics.products)).get(0) ?? '0').toBe('0');

    const replay = await vsearch(['dlq', 'replay', '--id', '0-0'], dataDir);
    expect(replay.code).toBe(0);
    expect(replay.output).toContain(`republished 1 events to ${topics.products}`);
    const republished: ConsumedEvent[] = [];
    await log.replayTopic(topics.products, async (batch) => void republished.push(...batch.messages));
    expect(republished.map((event) => [event.key, event.value?.toString(), event.headers[REPLAYED_FROM_HEADER]])).toEqual([
      ['p-1', original('p-1', 1).value?.toString(), '0-0'],
    ]);
  });
});
