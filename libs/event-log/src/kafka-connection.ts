/**
 * How every Kafka client of the product connects: brokers, TLS and SASL, read from the
 * environment in one place (the Helm chart's `KAFKA_BROKERS`, `KAFKA_TLS`,
 * `KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`). Services merge
 * `kafkaConnectionEnvShape` into their own schema (so one error names every bad variable) and
 * add `checkKafkaConnectionEnv`; the CLI calls `kafkaConnectionFromEnv`. The password is never
 * shown: `loadConfig` hides values of variables whose name contains PASSWORD, and
 * `describeKafkaConnection` leaves it out.
 */
import { z } from 'zod';
import { env, loadConfig } from '@vsearch/config';

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export interface KafkaSaslOptions {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

export interface KafkaConnectionOptions {
  /** Bootstrap `host:port` list; empty → the embedded event log. */
  brokers: string[];
  clientId: string;
  /** TLS to the brokers (system CAs). */
  ssl: boolean;
  sasl?: KafkaSaslOptions;
}

/** The environment variables of the Kafka connection, to spread into a service's `z.object({...})`. */
export const kafkaConnectionEnvShape = {
  /** Comma-separated `host:port`; unset → the embedded event log under DATA_DIR. */
  KAFKA_BROKERS: env.list(),
  /** Connect with TLS. */
  KAFKA_TLS: env.boolean(false),
  /** plain | scram-sha-256 | scram-sha-512; unset → no SASL. */
  KAFKA_SASL_MECHANISM: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim().toLowerCase()))
    .pipe(z.enum(KAFKA_SASL_MECHANISMS, { error: `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` }).optional()),
  KAFKA_SASL_USERNAME: env.optionalString(),
  KAFKA_SASL_PASSWORD: env.optionalString(),
};

export const kafkaConnectionEnvSchema = z.object(kafkaConnectionEnvShape).superRefine(checkKafkaConnectionEnv);

export type KafkaConnectionEnv = z.output<typeof kafkaConnectionEnvSchema>;

/** Cross-variable rules (a `superRefine` of any schema holding `kafkaConnectionEnvShape`): SASL needs all three variables. */
export function checkKafkaConnectionEnv(
  value: Pick<KafkaConnectionEnv, 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>,
  context: z.RefinementCtx,
): void {
  if (value.KAFKA_SASL_MECHANISM) {
    if (!value.KAFKA_SASL_USERNAME) context.addIssue({ code: 'custom', path: ['KAFKA_SASL_USERNAME'], message: `required when KAFKA_SASL_MECHANISM is set` });
    if (!value.KAFKA_SASL_PASSWORD) context.addIssue({ code: 'custom', path: ['KAFKA_SASL_PASSWORD'], message: `required when KAFKA_SASL_MECHANISM is set` });
  } else {
    const given = (['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const).filter((name) => value[name]);
    if (given.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_MECHANISM'],
        message: `required when ${given.join(' / ')} ${given.length > 1 ? 'are' : 'is'} set (one of ${KAFKA_SASL_MECHANISMS.join(', ')})`,
      });
    }
  }
}

/** The connection options from already validated variables. */
export function kafkaConnection(parsed: KafkaConnectionEnv, clientId: string): KafkaConnectionOptions {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = parsed;
  return {
    brokers: [...parsed.KAFKA_BROKERS],
    clientId,
    ssl: parsed.KAFKA_TLS,
    ...(mechanism && username && password ? { sasl: { mechanism, username, password } } : {}),
  };
}

/** Validates the Kafka variables of `environment` (a ConfigError naming each bad one) and returns the connection options. */
export function kafkaConnectionFromEnv(environment: NodeJS.ProcessEnv, clientId: string, service = clientId): KafkaConnectionOptions {
  return kafkaConnection(loadConfig(service, kafkaConnectionEnvSchema, environment), clientId);
}

/** For log lines and messages: brokers, TLS and the SASL mechanism and user, never the password. */
export function describeKafkaConnection(connection: Pick<KafkaConnectionOptions, 'brokers' | 'ssl' | 'sasl'>): string {
  const extras = [connection.ssl ? 'TLS' : '', connection.sasl ? `SASL ${connection.sasl.mechanism} as ${connection.sasl.username}` : ''].filter(Boolean);
  return `${connection.brokers.join(',')}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
}
