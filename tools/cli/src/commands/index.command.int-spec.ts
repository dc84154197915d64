/**
 * `vsearch index` against a real Kafka broker: what the command publishes is
 * what ingestion would consume (one record per valid line, keyed by product id).
 * real: the CLI process, an Apache Kafka broker (KAFKA_BROKERS or tools/kafka/kafka.sh), kafkajs,
 * the catalog generator. fake: nothing.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCatalog } from '@vsearch/catalog-generator';
import { parseCatalogEvent } from '@vsearch/contracts';
import { KafkaEventLog } from '@vsearch/event-log';
import { kafkaBrokersForTests, uniqueTopicPrefix } from '@vsearch/event-log/testing';
import { REPO_ROOT } from '@vsearch/testing';

function runIndex(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'tools/cli/bin/vsearch.js'), 'index', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('vsearch index with KAFKA_BROKERS', () => {
  let dir: string;
  let brokers: string;
  let log: KafkaEventLog;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vsearch-index-kafka-'));
    brokers = await kafkaBrokersForTests();
    log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'cli-index-int' });
    await generateCatalog({ seed: 11, count: 5, outDir: dir });
  });

  afterAll(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes every valid line keyed by its product id, and reports the invalid ones (exit 1)', async () => {
    const topic = `${uniqueTopicPrefix('cli-index')}catalog.products.v1`;
    const file = path.join(dir, 'catalog.jsonl');
    const feed = path.join(dir, 'feed.jsonl');
    appendFileSync(feed, readFileSync(file, 'utf8') + '{"type":"product.deleted","productId":"x"}\n');
    const result = await runIndex([feed, '--topic', topic], { KAFKA_BROKERS: brokers });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('5 valid events (5 upserts, 0 deletes), 1 invalid');
    expect(result.stdout).toContain(`published 5 events to ${topic} on Kafka at ${brokers}`);
    expect(result.stdout).toMatch(/line 6: schema_violation/);

    const seen: { key: string | null; productId?: string }[] = [];
    await log.replayTopic(topic, async (batch) => {
      for (const message of batch.messages) {
        const parsed = parseCatalogEvent(message.value!);
        seen.push({ key: message.key, productId: parsed.ok ? parsed.value.productId : undefined });
      }
    });
    expect(seen).toHaveLength(5);
    expect(seen.every((record) => record.key === record.productId)).toBe(true);
  });

  it('publishes to <TOPIC_PREFIX>catalog.products.v1 without --topic, as ingestion consumes it', async () => {
    const prefix = uniqueTopicPrefix('cli-index');
    const result = await runIndex([dir, '--json'], { KAFKA_BROKERS: brokers, TOPIC_PREFIX: prefix });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ topic: `${prefix}catalog.products.v1`, destination: 'kafka', published: 5 });
    const { messages } = await log.replayTopic(`${prefix}catalog.products.v1`, async () => undefined);
    expect(messages).toBe(5);
  });

  it('refuses a SASL password without a mechanism, naming the variable and hiding the password', async () => {
    const result = await runIndex([dir], { KAFKA_BROKERS: brokers, KAFKA_SASL_USERNAME: 'vsearch', KAFKA_SASL_PASSWORD: 'hunter2-secret' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('KAFKA_SASL_MECHANISM (unset): required when KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD are set');
    expect(result.stderr + result.stdout).not.toContain('hunter2-secret');
  });

  it('publishes nothing with --strict when a line is invalid', async () => {
    const topic = `${uniqueTopicPrefix('cli-index')}catalog.products.v1`;
    const feed = path.join(dir, 'strict.jsonl');
    appendFileSync(feed, readFileSync(path.join(dir, 'catalog.jsonl'), 'utf8') + 'not json\n');
    const result = await runIndex([feed, '--topic', topic, '--strict'], { KAFKA_BROKERS: brokers });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('published nothing (--strict: some lines are invalid)');
    const admin = log.kafkaClient.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      expect(topics.length).toBeGreaterThan(0);
      expect(topics).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
  });
});
