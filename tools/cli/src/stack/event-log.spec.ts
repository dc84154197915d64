/** Unit: the CLI's Kafka connection from the environment and its embedded log with TOPIC_PREFIX (real: zod, the embedded log in a temp dir; mock: none). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CliError } from '../cli/errors';
import { cliKafkaConnection, describeEventLog, openEventLog } from './event-log';

describe(cliKafkaConnection.name, () => {
  const environment = {
    KAFKA_BROKERS: 'env:9092',
    KAFKA_TLS: 'true',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'vsearch',
    KAFKA_SASL_PASSWORD: 'hunter2-secret',
  };

  it('reads TLS and SASL from the environment; --kafka-brokers overrides KAFKA_BROKERS', () => {
    expect(cliKafkaConnection({ dataDir: '.', environment, kafkaBrokers: 'flag:9093' })).toEqual({
      brokers: ['flag:9093'],
      clientId: 'vsearch-cli',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'vsearch', password: 'hunter2-secret' },
    });
    expect(cliKafkaConnection({ dataDir: '.', environment: {} })).toEqual({ brokers: [], clientId: 'vsearch-cli', ssl: false });
  });

  it('turns a bad variable into a CliError naming it, never showing the password', () => {
    let error: unknown;
    try {
      cliKafkaConnection({ dataDir: '.', environment: { KAFKA_BROKERS: 'k:9093', KAFKA_SASL_PASSWORD: 'hunter2-secret' } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toContain('KAFKA_SASL_MECHANISM (unset): required when');
    expect((error as Error).message).not.toContain('hunter2-secret');
  });
});

describe(openEventLog.name, () => {
  it('creates the prefixed catalog topics in the embedded log', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vsearch-cli-event-log-'));
    try {
      const eventLog = await openEventLog({ dataDir, topicPrefix: 'dev.', environment: {} });
      expect(eventLog.kind).toBe('embedded');
      expect(describeEventLog(eventLog, { dataDir })).toContain(dataDir);
      expect(await eventLog.endOffsets('dev.catalog.products.v1')).toEqual(
        new Map([
          [0, '0'],
          [1, '0'],
          [2, '0'],
        ]),
      );
      await eventLog.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('describes a Kafka connection without its password', () => {
    const options = {
      dataDir: '.',
      environment: {
        KAFKA_BROKERS: 'k:9093',
        KAFKA_TLS: 'true',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'hunter2-secret',
      },
    };
    expect(describeEventLog({ kind: 'kafka' } as never, options)).toBe('Kafka at k:9093 (TLS, SASL plain as u)');
  });
});
