/** Picks the adapter from configuration: Kafka when brokers are given, else the embedded file log. */
import path from 'node:path';
import {
  CATALOG_GOLDEN_QUERIES_TOPIC,
  CATALOG_PRODUCTS_DLQ_TOPIC,
  CATALOG_PRODUCTS_TOPIC,
  CATALOG_REINDEX_JOBS_TOPIC,
  CATALOG_REINDEX_TOPIC,
} from '@vsearch/contracts';
import type { EventLog, TopicSpec } from './event-log.port';
import { FileEventLog } from './file.event-log';
import { goldenQueriesTopicSpec } from './golden-query.log';
import type { KafkaSaslOptions } from './kafka-connection';
import { KafkaEventLog, type KafkaEventLogOptions } from './kafka.event-log';
import { reindexJobsTopicSpec } from './reindex-job.store';

export interface CreateEventLogOptions {
  /** Comma-separated `host:port` list (`KAFKA_BROKERS`); empty → embedded log. */
  brokers?: string | string[];
  /** Embedded mode: the log lives in `<dataDir>/event-log`. */
  dataDir: string;
  clientId: string;
  /** Kafka only: TLS (`KAFKA_TLS`) and SASL (`KAFKA_SASL_*`), as `kafkaConnection()` builds them. */
  ssl?: boolean;
  sasl?: KafkaSaslOptions;
  log?: KafkaEventLogOptions['log'];
}

/** Pass a `KafkaConnectionOptions` (spread) with `dataDir`: every Kafka setting reaches kafkajs. */
export function createEventLog(options: CreateEventLogOptions): EventLog {
  const brokers = (Array.isArray(options.brokers) ? options.brokers : (options.brokers ?? '').split(',')).map((b) => b.trim()).filter(Boolean);
  if (brokers.length > 0) return new KafkaEventLog({ brokers, clientId: options.clientId, ssl: options.ssl, sasl: options.sasl, log: options.log });
  return new FileEventLog({ dir: path.join(options.dataDir, 'event-log') });
}

export interface CatalogTopicNames {
  products: string;
  deadLetters: string;
  reindex: string;
  /** The merchandisers' golden query set (compacted, one key). */
  goldenQueries: string;
  /** Reindex job records (compacted): the durable job store. */
  reindexJobs: string;
}

/** The catalog topic names with `TOPIC_PREFIX` in front: what ingestion consumes and what query-api and the CLI publish to. */
export function catalogTopicNames(prefix = ''): CatalogTopicNames {
  return {
    products: `${prefix}${CATALOG_PRODUCTS_TOPIC}`,
    deadLetters: `${prefix}${CATALOG_PRODUCTS_DLQ_TOPIC}`,
    reindex: `${prefix}${CATALOG_REINDEX_TOPIC}`,
    goldenQueries: `${prefix}${CATALOG_GOLDEN_QUERIES_TOPIC}`,
    reindexJobs: `${prefix}${CATALOG_REINDEX_JOBS_TOPIC}`,
  };
}

/** The catalog topics with their contract settings (DESIGN.md): the products topic and the reindex jobs topic are compacted. */
export function catalogTopicSpecs(prefix = ''): TopicSpec[] {
  const names = catalogTopicNames(prefix);
  return [
    { topic: names.products, partitions: 3, config: { 'cleanup.policy': 'compact' } },
    { topic: names.deadLetters, partitions: 1 },
    { topic: names.reindex, partitions: 1 },
    goldenQueriesTopicSpec(names.goldenQueries),
    reindexJobsTopicSpec(names.reindexJobs),
  ];
}
