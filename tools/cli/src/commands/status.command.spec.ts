import { stackEndpoints } from '../stack/wiring';
import { statusTargets } from './status.command';

describe(statusTargets.name, () => {
  const customPorts = { QUERY_API_PORT: '18080', EMBEDDER_PORT: '6001', SEARCH_PORT: '6002', INGESTION_PORT: '6003' };

  it('probes the addresses vsearch start uses for the same environment', () => {
    expect(statusTargets({}, customPorts)).toEqual(stackEndpoints(customPorts));
    expect(statusTargets({}, customPorts)).toEqual({
      queryApiUrl: 'http://localhost:18080',
      embedderAddr: '127.0.0.1:6001',
      searchAddr: '127.0.0.1:6002',
      ingestionUrl: 'http://127.0.0.1:6003',
    });
  });

  it('lets an option win over the environment', () => {
    const targets = statusTargets({ apiUrl: 'http://other:9000', searchAddr: 'db:1' }, customPorts);
    expect(targets.queryApiUrl).toBe('http://other:9000');
    expect(targets.searchAddr).toBe('db:1');
    expect(targets.embedderAddr).toBe('127.0.0.1:6001');
  });
});
