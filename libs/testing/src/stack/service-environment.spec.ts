import { addressOf, assignPorts, serviceEnvironment, startWaves, stopWaves } from './service-environment';

/** Hands out 41000, 41001, ... and remembers how many it gave. */
function portCounter() {
  let next = 41_000;
  const picker = async () => next++;
  return { picker, given: () => next - 41_000 };
}

describe(assignPorts.name, () => {
  it('gives a gRPC service a main port and a metrics port, both free ones when none is given', async () => {
    const ports = portCounter();
    expect(await assignPorts('embedder', {}, ports.picker)).toEqual({ port: 41_000, metricsPort: 41_001 });
    expect(ports.given()).toBe(2);
  });

  it('keeps the ports it is given and picks only the missing ones', async () => {
    const ports = portCounter();
    expect(await assignPorts('search', { port: 50_052 }, ports.picker)).toEqual({ port: 50_052, metricsPort: 41_000 });
    expect(await assignPorts('search', { port: 50_052, metricsPort: 9465 }, ports.picker)).toEqual({ port: 50_052, metricsPort: 9465 });
    expect(ports.given()).toBe(1);
  });

  it('gives the HTTP services one port (their /metrics is on it) and refuses a metrics port for them', async () => {
    const ports = portCounter();
    expect(await assignPorts('ingestion', {}, ports.picker)).toEqual({ port: 41_000 });
    expect(await assignPorts('query-api', { port: 8080 }, ports.picker)).toEqual({ port: 8080 });
    await expect(assignPorts('query-api', { metricsPort: 9000 }, ports.picker)).rejects.toThrow('query-api has no metrics port of its own');
  });
});

describe(addressOf.name, () => {
  it('addresses the gRPC services as host:port and the HTTP ones as a URL, on loopback', () => {
    expect(addressOf('embedder', { port: 1, metricsPort: 2 })).toBe('127.0.0.1:1');
    expect(addressOf('search', { port: 3, metricsPort: 4 })).toBe('127.0.0.1:3');
    expect(addressOf('ingestion', { port: 5 })).toBe('http://127.0.0.1:5');
    expect(addressOf('query-api', { port: 6 })).toBe('http://127.0.0.1:6');
  });
});

describe(serviceEnvironment.name, () => {
  const peers = { embedder: '127.0.0.1:1', search: '127.0.0.1:3', ingestion: 'http://127.0.0.1:5', 'query-api': 'http://127.0.0.1:6' };

  it('binds the embedder on loopback to its ports, on the CPU, at LOG_LEVEL warn, with no DATA_DIR', () => {
    expect(serviceEnvironment('embedder', { ports: { port: 1, metricsPort: 2 }, peers })).toEqual({
      EMBEDDER_HOST: '127.0.0.1',
      EMBEDDER_PORT: 1,
      METRICS_PORT: 2,
      EXECUTION_PROVIDERS: 'cpu',
      LOG_LEVEL: 'warn',
    });
  });

  it('gives search its DATA_DIR and ports', () => {
    expect(serviceEnvironment('search', { ports: { port: 3, metricsPort: 4 }, dataDir: '/tmp/d', peers })).toEqual({
      SEARCH_HOST: '127.0.0.1',
      SEARCH_PORT: 3,
      METRICS_PORT: 4,
      DATA_DIR: '/tmp/d',
      LOG_LEVEL: 'warn',
    });
  });

  it('tells ingestion where the embedder and search listen, and the query API where all three do', () => {
    expect(serviceEnvironment('ingestion', { ports: { port: 5 }, dataDir: '/tmp/d', peers })).toEqual({
      INGESTION_HOST: '127.0.0.1',
      INGESTION_PORT: 5,
      DATA_DIR: '/tmp/d',
      EMBEDDER_ADDR: '127.0.0.1:1',
      SEARCH_ADDR: '127.0.0.1:3',
      LOG_LEVEL: 'warn',
    });
    expect(serviceEnvironment('query-api', { ports: { port: 6 }, dataDir: '/tmp/d', peers })).toMatchObject({
      QUERY_API_PORT: 6,
      EMBEDDER_ADDR: '127.0.0.1:1',
      SEARCH_ADDR: '127.0.0.1:3',
      INGESTION_URL: 'http://127.0.0.1:5',
    });
  });

  it("lets the caller's settings win over the defaults and the wiring", () => {
    const env = serviceEnvironment('ingestion', {
      ports: { port: 5 },
      dataDir: '/tmp/d',
      peers,
      env: { SEARCH_ADDR: '127.0.0.1:9999', LOG_LEVEL: 'debug', INGESTION_HOST: '0.0.0.0', KAFKA_BROKERS: '' },
      defaultLogLevel: 'error',
    });
    expect(env).toMatchObject({
      SEARCH_ADDR: '127.0.0.1:9999',
      LOG_LEVEL: 'debug',
      INGESTION_HOST: '0.0.0.0',
      KAFKA_BROKERS: '',
      EMBEDDER_ADDR: '127.0.0.1:1',
    });
  });

  it('uses the default log level when no setting names one', () => {
    expect(serviceEnvironment('embedder', { ports: { port: 1, metricsPort: 2 }, defaultLogLevel: 'error' })).toMatchObject({ LOG_LEVEL: 'error' });
  });

  it('refuses a setting for a port variable, naming the option to use instead', () => {
    expect(() => serviceEnvironment('search', { ports: { port: 3, metricsPort: 4 }, dataDir: '/tmp/d', env: { SEARCH_PORT: 1, METRICS_PORT: 2 } })).toThrow(
      'cannot start search:\n  - SEARCH_PORT is set by the harness (pass ports.port instead)\n  - METRICS_PORT is set by the harness (pass ports.metricsPort instead)',
    );
  });

  it('refuses to start a service that keeps state without a DATA_DIR, and accepts one given as a setting', () => {
    expect(() => serviceEnvironment('ingestion', { ports: { port: 5 } })).toThrow('DATA_DIR: ingestion keeps state there');
    expect(serviceEnvironment('ingestion', { ports: { port: 5 }, env: { DATA_DIR: '/tmp/e' } })).toMatchObject({ DATA_DIR: '/tmp/e' });
  });
});

describe(startWaves.name, () => {
  it('starts the embedder and search together, then the query API, then ingestion', () => {
    expect(startWaves(['ingestion', 'query-api', 'search', 'embedder'])).toEqual([['embedder', 'search'], ['query-api'], ['ingestion']]);
  });

  it('leaves out the services not asked for, and empty waves', () => {
    expect(startWaves(['ingestion', 'search'])).toEqual([['search'], ['ingestion']]);
    expect(startWaves([])).toEqual([]);
  });

  it('stops in the reverse order', () => {
    expect(stopWaves(['embedder', 'search', 'query-api', 'ingestion'])).toEqual([['ingestion'], ['query-api'], ['embedder', 'search']]);
  });
});
