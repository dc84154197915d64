import { UsageError } from '../cli/errors';
import { customPortAssignments, defaultQueryApiUrl, overridesFor, readStackWiring, stackEndpoints } from './wiring';

describe(readStackWiring.name, () => {
  it('uses the documented default ports and ./data', () => {
    const wiring = readStackWiring({});
    expect(wiring.ports).toEqual({ queryApi: 8080, embedder: 50051, search: 50052, ingestion: 8081, embedderMetrics: 9464, searchMetrics: 9465 });
    expect(wiring.dataDir).toMatch(/[/\\]data$/);
  });

  it('names every bad port variable', () => {
    expect(() => readStackWiring({ QUERY_API_PORT: 'eighty', SEARCH_PORT: '70000' })).toThrow(UsageError);
    expect(() => readStackWiring({ QUERY_API_PORT: 'eighty', SEARCH_PORT: '70000' })).toThrow(/QUERY_API_PORT \("eighty"\)[\s\S]*SEARCH_PORT \("70000"\)/);
  });
});

describe(overridesFor.name, () => {
  const wiring = readStackWiring({ DATA_DIR: '/tmp/vs', QUERY_API_PORT: '18080', EMBEDDER_METRICS_PORT: '0', SEARCH_METRICS_PORT: '0' });
  const addresses = { embedderAddr: '127.0.0.1:1111', searchAddr: '127.0.0.1:2222', ingestionUrl: 'http://127.0.0.1:3333' };

  it('gives each service its own metrics port and the addresses of the others', () => {
    expect(overridesFor('embedder', wiring, addresses, {}, { executionProviders: 'cpu' })).toMatchObject({
      METRICS_PORT: '0',
      EMBEDDER_PORT: '50051',
      EXECUTION_PROVIDERS: 'cpu',
      DATA_DIR: '/tmp/vs',
      INTRA_OP_THREADS: '1',
    });
    expect(overridesFor('embedder', wiring, addresses, { INTRA_OP_THREADS: '4' }).INTRA_OP_THREADS).toBeUndefined();
    expect(overridesFor('ingestion', wiring, addresses, {})).toMatchObject({
      EMBEDDER_ADDR: '127.0.0.1:1111',
      SEARCH_ADDR: '127.0.0.1:2222',
      INGESTION_PORT: '8081',
    });
    expect(overridesFor('query-api', wiring, addresses, {}, { catalogImagesDir: '/tmp/vs/catalog/images', adminApiKeys: ['k'] })).toMatchObject({
      QUERY_API_PORT: '18080',
      INGESTION_URL: 'http://127.0.0.1:3333',
      CATALOG_IMAGES_DIR: '/tmp/vs/catalog/images',
      ADMIN_API_KEYS: 'k',
    });
  });

  it('turns alt text on for ingestion only when asked, and otherwise leaves DESCRIBE_IMAGES to the environment', () => {
    expect(overridesFor('ingestion', wiring, addresses, {}, { describeImages: true }).DESCRIBE_IMAGES).toBe('true');
    expect(overridesFor('ingestion', wiring, addresses, { DESCRIBE_IMAGES: 'false' }, { describeImages: true }).DESCRIBE_IMAGES).toBe('true');
    expect(overridesFor('ingestion', wiring, addresses, {}, {}).DESCRIBE_IMAGES).toBeUndefined();
    expect(overridesFor('query-api', wiring, addresses, {}, { describeImages: true }).DESCRIBE_IMAGES).toBeUndefined();
  });

  it('binds the internal services to loopback on one machine, unless the environment says otherwise', () => {
    expect(overridesFor('search', wiring, addresses, {}, { internalOnLoopback: true }).SEARCH_HOST).toBe('127.0.0.1');
    expect(overridesFor('ingestion', wiring, addresses, {}, { internalOnLoopback: true }).INGESTION_HOST).toBe('127.0.0.1');
    expect(overridesFor('embedder', wiring, addresses, { EMBEDDER_HOST: '0.0.0.0' }, { internalOnLoopback: true }).EMBEDDER_HOST).toBeUndefined();
    expect(overridesFor('query-api', wiring, addresses, {}, { internalOnLoopback: true }).QUERY_API_HOST).toBeUndefined();
    expect(overridesFor('search', wiring, addresses, {}).SEARCH_HOST).toBeUndefined();
  });

  it('lets the environment win over the embedded defaults, and adds to the image allow-list', () => {
    const env = { EXECUTION_PROVIDERS: 'cuda,cpu', ADMIN_API_KEYS: 'mine', IMAGE_FETCH_ALLOW_HOSTS: '10.0.0.0/8' };
    expect(overridesFor('embedder', wiring, addresses, env, { executionProviders: 'cpu' }).EXECUTION_PROVIDERS).toBeUndefined();
    const queryApi = overridesFor('query-api', wiring, addresses, env, { adminApiKeys: ['generated'], allowHosts: ['127.0.0.1:18080'] });
    expect(queryApi.ADMIN_API_KEYS).toBeUndefined();
    expect(queryApi.IMAGE_FETCH_ALLOW_HOSTS).toBe('10.0.0.0/8,127.0.0.1:18080');
  });
});

describe(stackEndpoints.name, () => {
  it('puts every service on loopback at its *_PORT, the defaults when unset', () => {
    expect(stackEndpoints({})).toEqual({
      queryApiUrl: 'http://localhost:8080',
      embedderAddr: '127.0.0.1:50051',
      searchAddr: '127.0.0.1:50052',
      ingestionUrl: 'http://127.0.0.1:8081',
    });
    expect(stackEndpoints({ QUERY_API_PORT: '18080', EMBEDDER_PORT: '6001', SEARCH_PORT: '6002', INGESTION_PORT: '6003' })).toEqual({
      queryApiUrl: 'http://localhost:18080',
      embedderAddr: '127.0.0.1:6001',
      searchAddr: '127.0.0.1:6002',
      ingestionUrl: 'http://127.0.0.1:6003',
    });
  });

  it('prefers the explicit addresses of services run elsewhere', () => {
    const endpoints = stackEndpoints({ EMBEDDER_PORT: '6001', EMBEDDER_ADDR: 'gpu-box:50051', VSEARCH_API_URL: 'https://search.shop.test' });
    expect(endpoints.embedderAddr).toBe('gpu-box:50051');
    expect(endpoints.queryApiUrl).toBe('https://search.shop.test');
  });

  it('refuses a bad port variable as readStackWiring does', () => {
    expect(() => stackEndpoints({ SEARCH_PORT: 'x' })).toThrow(/SEARCH_PORT \("x"\)/);
  });
});

describe(defaultQueryApiUrl.name, () => {
  it('is where `vsearch start` put the query API with the same environment', () => {
    expect(defaultQueryApiUrl({})).toBe('http://localhost:8080');
    expect(defaultQueryApiUrl({ QUERY_API_PORT: '18080' })).toBe('http://localhost:18080');
    expect(defaultQueryApiUrl({ QUERY_API_PORT: '18080' })).toBe(stackEndpoints({ QUERY_API_PORT: '18080' }).queryApiUrl);
  });

  it('falls back to port 8080 for a QUERY_API_PORT that is not a port, rather than failing every command at start', () => {
    expect(defaultQueryApiUrl({ QUERY_API_PORT: 'eighty' })).toBe('http://localhost:8080');
  });
});

describe(customPortAssignments.name, () => {
  it('names only the port variables that differ from their defaults', () => {
    expect(customPortAssignments(readStackWiring({}))).toBe('');
    expect(customPortAssignments(readStackWiring({ QUERY_API_PORT: '18080', SEARCH_PORT: '50052', EMBEDDER_PORT: '6001' }))).toBe(
      'QUERY_API_PORT=18080 EMBEDDER_PORT=6001 ',
    );
  });
});
