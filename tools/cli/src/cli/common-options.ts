/** Options shared by the commands that talk to the query API. */
import { Option } from 'commander';
import { defaultQueryApiUrl } from '../stack/wiring';
import { httpUrlArg, integerArg } from './arguments';

export function apiUrlOption(): Option {
  return new Option('--api-url <url>', 'base URL of the query API (default: VSEARCH_API_URL, else http://localhost:$QUERY_API_PORT, 8080)')
    .env('VSEARCH_API_URL')
    .default(defaultQueryApiUrl())
    .argParser(httpUrlArg('--api-url'));
}

export function timeoutOption(defaultMs = 30_000): Option {
  return new Option('--timeout <ms>', 'per-request timeout in milliseconds').default(defaultMs).argParser(integerArg('--timeout', 1, 3_600_000));
}

export function jsonOption(): Option {
  return new Option('--json', 'print machine-readable JSON instead of a table');
}
