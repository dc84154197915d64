/**
 * The event log the CLI publishes to: Kafka when KAFKA_BROKERS is set, else the
 * embedded file log under DATA_DIR (the one the embedded ingestion consumes).
 * Kafka's TLS and SASL settings (KAFKA_TLS, KAFKA_SASL_*) come from the environment,
 * validated as the services validate them. The embedded log gets the catalog topics
 * with their contract settings first, so a publish before ingestion ever ran does not
 * create them with defaults.
 */
import { ConfigError } from '@vsearch/config';
import {
  catalogTopicSpecs,
  createEventLog,
  describeKafkaConnection,
  kafkaConnectionFromEnv,
  type EventLog,
  type KafkaConnectionOptions,
} from '@vsearch/event-log';
import { CliError } from '../cli/errors';

export interface OpenEventLogOptions {
  /** Overrides KAFKA_BROKERS of `environment` (e.g. --kafka-brokers). */
  kafkaBrokers?: string;
  dataDir: string;
  clientId?: string;
  /** TOPIC_PREFIX, as ingestion uses it. */
  topicPrefix?: string;
  /** Where KAFKA_TLS and KAFKA_SASL_* are read (default process.env). */
  environment?: NodeJS.ProcessEnv;
}

/** The Kafka connection of the CLI: a bad variable is a CliError naming it (the password is never shown). */
export function cliKafkaConnection(options: OpenEventLogOptions): KafkaConnectionOptions {
  const environment = { ...(options.environment ?? process.env) };
  if (options.kafkaBrokers !== undefined) environment.KAFKA_BROKERS = options.kafkaBrokers;
  try {
    return kafkaConnectionFromEnv(environment, options.clientId ?? 'vsearch-cli', 'vsearch');
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

export async function openEventLog(options: OpenEventLogOptions): Promise<EventLog> {
  const eventLog = createEventLog({ ...cliKafkaConnection(options), dataDir: options.dataDir });
  if (eventLog.kind === 'embedded') await eventLog.ensureTopics(catalogTopicSpecs(options.topicPrefix ?? ''));
  return eventLog;
}

export function describeEventLog(eventLog: EventLog, options: OpenEventLogOptions): string {
  return eventLog.kind === 'kafka'
    ? `Kafka at ${describeKafkaConnection(cliKafkaConnection(options))}`
    : `the embedded event log in ${options.dataDir}/event-log`;
}
