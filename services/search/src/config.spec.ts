import * as path from 'node:path';
import { ConfigError } from '@vsearch/config';
import { loadSearchConfig } from './config';

describe(loadSearchConfig.name, () => {
  it('defaults to the embedded store under ./data on the contract ports', () => {
    const config = loadSearchConfig({}, {});
    expect(config.grpc.port).toBe(50052);
    expect(config.metricsPort).toBe(9465);
    expect(config.store).toEqual({
      kind: 'embedded',
      dir: path.resolve('data', 'vector-store'),
      durable: true,
      exactSearchBelow: undefined,
      nprobe: undefined,
      scanThreads: 1,
    });
  });

  it('switches to Qdrant when QDRANT_URL is set, with HNSW and quantization settings', () => {
    const config = loadSearchConfig({ HNSW_M: 32, QUANTIZATION: 'int8' }, { QDRANT_URL: 'http://qdrant:6333', QDRANT_API_KEY: 'secret-key' });
    expect(config.store).toMatchObject({
      kind: 'qdrant',
      qdrant: { url: 'http://qdrant:6333', apiKey: 'secret-key', hnsw: { m: 32, efConstruct: 128 }, quantization: 'int8' },
    });
  });

  it('names every bad variable and never shows the API key', () => {
    try {
      loadSearchConfig({}, { SEARCH_PORT: 'x', QDRANT_URL: 'not a url', QUANTIZATION: 'int4', QDRANT_API_KEY: '' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['SEARCH_PORT', 'QDRANT_URL', 'QUANTIZATION']) expect(message).toContain(name);
    }
    try {
      loadSearchConfig({}, { QDRANT_API_KEY: 'super-secret', SEARCH_PORT: 'x' });
    } catch (error) {
      expect((error as Error).message).not.toContain('super-secret');
    }
  });
});
