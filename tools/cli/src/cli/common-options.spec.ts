import { Command } from 'commander';
import { apiUrlOption } from './common-options';

/** `--api-url` as a command sees it after parsing `argv` with `env` as the process environment. */
function parsedApiUrl(env: Record<string, string>, argv: string[] = []): unknown {
  const saved = { ...process.env };
  try {
    delete process.env.VSEARCH_API_URL;
    delete process.env.QUERY_API_PORT;
    Object.assign(process.env, env);
    const command = new Command().exitOverride().addOption(apiUrlOption());
    command.parse(argv, { from: 'user' });
    return command.opts().apiUrl;
  } finally {
    process.env = saved;
  }
}

describe(apiUrlOption.name, () => {
  it('finds a stack started on another QUERY_API_PORT without being told its URL', () => {
    expect(parsedApiUrl({})).toBe('http://localhost:8080');
    expect(parsedApiUrl({ QUERY_API_PORT: '18080' })).toBe('http://localhost:18080');
  });

  it('prefers VSEARCH_API_URL to the port, and --api-url to both', () => {
    expect(parsedApiUrl({ QUERY_API_PORT: '18080', VSEARCH_API_URL: 'https://search.shop.test' })).toBe('https://search.shop.test');
    expect(parsedApiUrl({ QUERY_API_PORT: '18080' }, ['--api-url', 'http://10.0.0.5:8080'])).toBe('http://10.0.0.5:8080');
  });
});
