/**
 * The event log the CLI publishes to: Kafka when KAFKA_BROKERS is set, else the
 * embedded file log under DATA_DIR (the one the embedded ingestion consumes).
 * The embedded log gets the catalog topics with their contract settings first,
 * so a publish before ingestion ever ran does not create them with defaults.
 */
import { catalogTopicSpecs, createEventLog, type EventLog } from '@vsearch/event-log';

export interface OpenEventLogOptions {
  kafkaBrokers?: string;
  dataDir: string;
  clientId?: string;
  /** TOPIC_PREFIX, as ingestion uses it. */
  topicPrefix?: string;
}

export async function openEventLog(options: OpenEventLogOptions): Promise<EventLog> {
  const eventLog = createEventLog({ brokers: options.kafkaBrokers, dataDir: options.dataDir, clientId: options.clientId ?? 'vsearch-cli' });
  if (eventLog.kind === 'embedded') await eventLog.ensureTopics(catalogTopicSpecs(options.topicPrefix ?? ''));
  return eventLog;
}

export function describeEventLog(eventLog: EventLog, options: OpenEventLogOptions): string {
  return eventLog.kind === 'kafka' ? `Kafka at ${options.kafkaBrokers}` : `the embedded event log in ${options.dataDir}/event-log`;
}
