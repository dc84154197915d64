#!/usr/bin/env node
// Used by kafka.sh: waits until the broker answers an admin listTopics, then creates the
// catalog topics with their contract defaults (catalog.products.v1 compacted, DESIGN.md).
// Env: KAFKA_WAIT_BROKERS (host:port,...), KAFKA_WAIT_TIMEOUT_S.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const brokers = (process.env.KAFKA_WAIT_BROKERS || '').split(',').filter(Boolean);
const timeoutMs = Number(process.env.KAFKA_WAIT_TIMEOUT_S || '120') * 1000;
const TOPICS = [
  { topic: 'catalog.products.v1', numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  { topic: 'catalog.products.v1.dlq', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(14 * 24 * 3600 * 1000) }] },
  { topic: 'catalog.reindex.v1', numPartitions: 1, configEntries: [] },
];

async function main() {
  const deadline = Date.now() + timeoutMs;
  const kafka = new Kafka({ clientId: 'vsearch-kafka-sh', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  let lastError;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = TOPICS.filter((t) => !existing.has(t.topic)).map((t) => ({ ...t, replicationFactor: 1 }));
      if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
      await admin.disconnect();
      process.stderr.write(`[kafka] answering at ${brokers.join(',')}; topics ready\n`);
      return;
    } catch (error) {
      lastError = error;
      await admin.disconnect().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  process.stderr.write(`[kafka] no answer from ${brokers.join(',')}: ${lastError && lastError.message}\n`);
  process.exit(1);
}

main().catch((error) => {
  process.stderr.write(`[kafka] ${error.stack || error}\n`);
  process.exit(1);
});
