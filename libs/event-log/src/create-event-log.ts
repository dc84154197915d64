/** Picks the adapter from configuration: Kafka when brokers are given, else the embedded file log. */
import path from 'node:path';
import { CATALOG_PRODUCTS_DLQ_TOPIC, CATALOG_PRODUCTS_TOPIC, CATALOG_REINDEX_TOPIC } from '@vsearch/contracts';
import type { EventLog, TopicSpec } from './event-log.port';
import { FileEventLog } from './file.event-log';
import { KafkaEventLog, type KafkaEventLogOptions } from './kafka.event-log';

export interface CreateEventLogOptions {
  /** Comma-separated `host:port` list (`KAFKA_BROKERS`); empty → embedded log. */
  brokers?: string | string[];
  /** Embedded mode: the log lives in `<dataDir>/event-log`. */
  dataDir: string;
  clientId: string;
  log?: KafkaEventLogOptions['log'];
}

export function createEventLog(options: CreateEventLogOptions): EventLog {
  const brokers = (Array.isArray(options.brokers) ? options.brokers : (options.brokers ?? '').split(',')).map((b) => b.trim()).filter(Boolean);
  if (brokers.length > 0) return new KafkaEventLog({ brokers, clientId: options.clientId, log: options.log });
  return new FileEventLog({ dir: path.join(options.dataDir, 'event-log') });
}

/** The catalog topics with their contract settings (DESIGN.md): the products topic is compacted. */
export function catalogTopicSpecs(prefix = ''): TopicSpec[] {
  return [
    { topic: `${prefix}${CATALOG_PRODUCTS_TOPIC}`, partitions: 3, config: { 'cleanup.policy': 'compact' } },
    { topic: `${prefix}${CATALOG_PRODUCTS_DLQ_TOPIC}`, partitions: 1 },
    { topic: `${prefix}${CATALOG_REINDEX_TOPIC}`, partitions: 1 },
  ];
}
