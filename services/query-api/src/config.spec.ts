import { ConfigError } from '@vsearch/config';
import { DEFAULT_FUSION } from '@vsearch/contracts';
import { loadQueryApiConfig } from './config';

describe(loadQueryApiConfig.name, () => {
  it('runs the embedded mode with no environment at all', () => {
    const config = loadQueryApiConfig({}, {});
    expect(config.http.port).toBe(8080);
    expect(config.upstream).toMatchObject({ embedderAddr: '127.0.0.1:50051', searchAddr: '127.0.0.1:50052', ingestionUrl: 'http://127.0.0.1:8081' });
    expect(config.eventLog.kafka).toEqual({ brokers: [], clientId: 'query-api', ssl: false });
    expect(config.eventLog.reindexTopic).toBe('catalog.reindex.v1');
    expect(config.admin.apiKeys).toEqual([]);
    expect(config.images.maxUploadBytes).toBe(10 * 1024 * 1024);
    expect(config.search.textScoreThreshold).toBeUndefined();
    expect(config.search.fusion).toEqual(DEFAULT_FUSION);
    expect(Object.isFrozen(config.rateLimit)).toBe(true);
  });

  it('reads the hybrid fusion settings', () => {
    const config = loadQueryApiConfig({}, { FUSION_K: '20', FUSION_VECTOR_WEIGHT: '0.5', FUSION_KEYWORD_WEIGHT: '2' });
    expect(config.search.fusion).toEqual({ k: 20, vectorWeight: 0.5, keywordWeight: 2 });
    expect(Object.isFrozen(config.search.fusion)).toBe(true);
  });

  it.each([
    ['FUSION_K', '0'],
    ['FUSION_K', '2.5'],
    ['FUSION_VECTOR_WEIGHT', '0'],
    ['FUSION_VECTOR_WEIGHT', 'heavy'],
    ['FUSION_KEYWORD_WEIGHT', '-1'],
    ['FUSION_KEYWORD_WEIGHT', 'Infinity'],
  ])('refuses %s=%s at start-up, naming it', (name, value) => {
    expect(() => loadQueryApiConfig({}, { [name]: value })).toThrow(ConfigError);
    expect(() => loadQueryApiConfig({}, { [name]: value })).toThrow(name);
  });

  it('reads lists, numbers and overrides applied over the environment', () => {
    const config = loadQueryApiConfig(
      { RATE_LIMIT_BURST: 5, TEXT_SCORE_THRESHOLD: '-0.015' },
      { ADMIN_API_KEYS: 'a, b,,', KAFKA_BROKERS: 'k1:9092,k2:9092', RATE_LIMIT_BURST: '99', INGESTION_URL: 'http://ingestion:8081/' },
    );
    expect(config.admin.apiKeys).toEqual(['a', 'b']);
    expect(config.eventLog.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.rateLimit.burst).toBe(5);
    expect(config.search.textScoreThreshold).toBe(-0.015);
    expect(config.upstream.ingestionUrl).toBe('http://ingestion:8081');
  });

  it('reads the Kafka TLS/SASL settings and TOPIC_PREFIX as the chart sets them', () => {
    const config = loadQueryApiConfig(
      {},
      {
        KAFKA_BROKERS: 'k1:9093',
        KAFKA_TLS: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'vsearch',
        KAFKA_SASL_PASSWORD: 'hunter2-secret',
        TOPIC_PREFIX: 'prod.',
      },
    );
    expect(config.eventLog.kafka).toEqual({
      brokers: ['k1:9093'],
      clientId: 'query-api',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'vsearch', password: 'hunter2-secret' },
    });
    expect(config.eventLog.reindexTopic).toBe('prod.catalog.reindex.v1');
  });

  it('refuses a SASL password without a mechanism without showing it', () => {
    let error: unknown;
    try {
      loadQueryApiConfig({}, { KAFKA_BROKERS: 'k1:9093', KAFKA_SASL_PASSWORD: 'hunter2-secret' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('KAFKA_SASL_MECHANISM (unset): required when KAFKA_SASL_PASSWORD is set');
    expect((error as ConfigError).message).not.toContain('hunter2-secret');
  });

  it('fails naming every bad variable', () => {
    let error: unknown;
    try {
      loadQueryApiConfig({}, { QUERY_API_PORT: '99999', TEXT_SCORE_THRESHOLD: '2', RATE_LIMIT_ENABLED: 'maybe' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['QUERY_API_PORT', 'TEXT_SCORE_THRESHOLD', 'RATE_LIMIT_ENABLED']) expect(message).toContain(name);
  });
});
