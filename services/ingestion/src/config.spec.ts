/** Unit: the Kafka connection and topic names of ingestion's configuration (real: zod, loadConfig; mock: none). */
import { ConfigError } from '@vsearch/config';
import { loadIngestionConfig } from './config';

describe(loadIngestionConfig.name, () => {
  it('defaults to the embedded log, no TLS, no SASL, unprefixed topics', () => {
    const config = loadIngestionConfig({}, {});
    expect(config.eventLog).toMatchObject({ brokers: [], clientId: 'vsearch-ingestion', ssl: false, topicPrefix: '' });
    expect(config.eventLog.sasl).toBeUndefined();
    expect(config.topics).toEqual({
      products: 'catalog.products.v1',
      deadLetters: 'catalog.products.v1.dlq',
      reindex: 'catalog.reindex.v1',
      goldenQueries: 'catalog.golden-queries.v1',
      reindexJobs: 'catalog.reindex-jobs.v1',
    });
  });

  it('reads the Kafka TLS/SASL settings and TOPIC_PREFIX as the chart sets them', () => {
    const config = loadIngestionConfig(
      {},
      {
        KAFKA_BROKERS: 'k1:9093,k2:9093',
        KAFKA_TLS: 'true',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'vsearch',
        KAFKA_SASL_PASSWORD: 'hunter2-secret',
        TOPIC_PREFIX: 'prod.',
      },
    );
    expect(config.eventLog).toMatchObject({
      brokers: ['k1:9093', 'k2:9093'],
      ssl: true,
      sasl: { mechanism: 'plain', username: 'vsearch', password: 'hunter2-secret' },
    });
    expect(config.topics).toEqual({
      products: 'prod.catalog.products.v1',
      deadLetters: 'prod.catalog.products.v1.dlq',
      reindex: 'prod.catalog.reindex.v1',
      goldenQueries: 'prod.catalog.golden-queries.v1',
      reindexJobs: 'prod.catalog.reindex-jobs.v1',
    });
  });

  it('refuses a SASL mechanism without credentials, naming the variables', () => {
    let error: unknown;
    try {
      loadIngestionConfig({}, { KAFKA_BROKERS: 'k1:9093', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'vsearch' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['KAFKA_SASL_PASSWORD (unset): required when KAFKA_SASL_MECHANISM is set']);
  });

  it('heals by default every 10 s, can be turned off, and refuses a bad interval naming it', () => {
    expect(loadIngestionConfig({}, {}).heal).toEqual({ checkMs: 10_000, abandonedAfterChecks: 6 });
    expect(loadIngestionConfig({ HEAL_CHECK_MS: 500 }, {}).heal?.checkMs).toBe(500);
    expect(loadIngestionConfig({ SELF_HEAL: 'false' }, {}).heal).toBeUndefined();
    expect(() => loadIngestionConfig({ HEAL_CHECK_MS: '0' }, {})).toThrow(/HEAL_CHECK_MS/);
  });
});
