/**
 * Unit: the Kafka connection settings from the environment, and that they reach kafkajs' config
 * through createEventLog (real: zod, loadConfig, kafkajs' Kafka constructor; mock: none — no
 * broker is contacted; the local test broker is PLAINTEXT, so TLS/SASL are checked up to kafkajs' config).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@vsearch/config';
import { catalogTopicNames, catalogTopicSpecs, createEventLog } from './create-event-log';
import { describeKafkaConnection, kafkaConnectionFromEnv } from './kafka-connection';
import { KafkaEventLog } from './kafka.event-log';

const SECRET = 'pa55-w0rd-never-shown';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe(kafkaConnectionFromEnv.name, () => {
  it('defaults to no brokers, no TLS and no SASL', () => {
    expect(kafkaConnectionFromEnv({}, 'client')).toEqual({ brokers: [], clientId: 'client', ssl: false });
  });

  it('reads brokers, TLS and SASL (mechanism case-insensitive)', () => {
    const connection = kafkaConnectionFromEnv(
      {
        KAFKA_BROKERS: 'k1:9093, k2:9093',
        KAFKA_TLS: 'true',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'vsearch',
        KAFKA_SASL_PASSWORD: SECRET,
      },
      'ingestion',
    );
    expect(connection).toEqual({
      brokers: ['k1:9093', 'k2:9093'],
      clientId: 'ingestion',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'vsearch', password: SECRET },
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])('accepts the %s mechanism', (mechanism) => {
    expect(kafkaConnectionFromEnv({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'c').sasl?.mechanism).toBe(
      mechanism,
    );
  });

  it('treats empty variables as unset (the chart renders them empty when SASL is off)', () => {
    expect(kafkaConnectionFromEnv({ KAFKA_TLS: 'false', KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' }, 'c')).toEqual({
      brokers: [],
      clientId: 'c',
      ssl: false,
    });
  });

  it('refuses a mechanism without user name and password, naming both', () => {
    const error = configError(() => kafkaConnectionFromEnv({ KAFKA_SASL_MECHANISM: 'plain' }, 'query-api'));
    expect(error.message).toContain('query-api');
    expect(error.problems).toEqual([
      'KAFKA_SASL_USERNAME (unset): required when KAFKA_SASL_MECHANISM is set',
      'KAFKA_SASL_PASSWORD (unset): required when KAFKA_SASL_MECHANISM is set',
    ]);
  });

  it('refuses a password without a mechanism, and never shows the password', () => {
    const error = configError(() => kafkaConnectionFromEnv({ KAFKA_SASL_USERNAME: 'vsearch', KAFKA_SASL_PASSWORD: SECRET }, 'c'));
    expect(error.problems).toEqual([
      'KAFKA_SASL_MECHANISM (unset): required when KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD are set (one of plain, scram-sha-256, scram-sha-512)',
    ]);
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses an unknown mechanism and a bad KAFKA_TLS, hiding the password', () => {
    const error = configError(() =>
      kafkaConnectionFromEnv({ KAFKA_TLS: 'maybe', KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET }, 'c'),
    );
    expect(error.message).toContain('KAFKA_TLS ("maybe"): must be true or false');
    expect(error.message).toContain('KAFKA_SASL_MECHANISM ("gssapi"): must be one of plain, scram-sha-256, scram-sha-512');
    expect(error.message).not.toContain(SECRET);
  });

  it('hides a password that fails validation itself', () => {
    const error = configError(() => kafkaConnectionFromEnv({ KAFKA_SASL_PASSWORD: SECRET }, 'c'));
    expect(error.message).not.toContain(SECRET);
  });
});

describe(describeKafkaConnection.name, () => {
  it('names brokers, TLS, mechanism and user, never the password', () => {
    const text = describeKafkaConnection({ brokers: ['k1:9093'], ssl: true, sasl: { mechanism: 'plain', username: 'vsearch', password: SECRET } });
    expect(text).toBe('k1:9093 (TLS, SASL plain as vsearch)');
    expect(describeKafkaConnection({ brokers: ['a:1', 'b:2'], ssl: false })).toBe('a:1,b:2');
  });
});

describe('createEventLog with a Kafka connection', () => {
  const kafkaConfigOf = (log: unknown) => (log as KafkaEventLog)['clientConfig'];

  it('passes TLS and SASL to kafkajs', async () => {
    const connection = kafkaConnectionFromEnv(
      { KAFKA_BROKERS: 'k1:9093', KAFKA_TLS: 'yes', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET },
      'ingestion',
    );
    const log = createEventLog({ ...connection, dataDir: '/nonexistent' });
    expect(log).toBeInstanceOf(KafkaEventLog);
    expect(kafkaConfigOf(log)).toMatchObject({
      clientId: 'ingestion',
      brokers: ['k1:9093'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: SECRET },
    });
    await log.close();
  });

  it('connects in plain text without SASL when neither is configured', async () => {
    const log = createEventLog({ ...kafkaConnectionFromEnv({ KAFKA_BROKERS: 'k1:9092' }, 'query-api'), dataDir: '/nonexistent' });
    expect(kafkaConfigOf(log)).toMatchObject({ ssl: false });
    expect(kafkaConfigOf(log).sasl).toBeUndefined();
    await log.close();
  });

  it('uses the embedded log when there are no brokers', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsearch-kafka-connection-'));
    try {
      const log = createEventLog({ ...kafkaConnectionFromEnv({ KAFKA_TLS: 'true' }, 'cli'), dataDir });
      expect(log.kind).toBe('embedded');
      await log.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe(catalogTopicNames.name, () => {
  it('prefixes every catalog topic, as the specs ingestion creates', () => {
    expect(catalogTopicNames()).toEqual({
      products: 'catalog.products.v1',
      deadLetters: 'catalog.products.v1.dlq',
      reindex: 'catalog.reindex.v1',
      goldenQueries: 'catalog.golden-queries.v1',
      reindexJobs: 'catalog.reindex-jobs.v1',
    });
    const names = catalogTopicNames('staging.');
    expect(names).toEqual({
      products: 'staging.catalog.products.v1',
      deadLetters: 'staging.catalog.products.v1.dlq',
      reindex: 'staging.catalog.reindex.v1',
      goldenQueries: 'staging.catalog.golden-queries.v1',
      reindexJobs: 'staging.catalog.reindex-jobs.v1',
    });
    expect(catalogTopicSpecs('staging.').map((spec) => spec.topic)).toEqual([
      names.products,
      names.deadLetters,
      names.reindex,
      names.goldenQueries,
      names.reindexJobs,
    ]);
    // The job store keeps only the newest record per job.
    expect(catalogTopicSpecs().find((spec) => spec.topic === names.reindexJobs.replace('staging.', ''))?.config).toEqual({ 'cleanup.policy': 'compact' });
  });
});
