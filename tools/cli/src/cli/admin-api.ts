/** What every admin-API command shares: the key, URL, timeout and --json options, and the client built from them. */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { QueryApiClient } from '../api/query-api.client';
import { readEmbeddedAdminKey } from '../stack/admin-key';
import { apiUrlOption, jsonOption, timeoutOption } from './common-options';
import { UsageError } from './errors';

export interface AdminApiOptions {
  apiKey?: string;
  apiUrl: string;
  timeout: number;
  json?: boolean;
}

export function withAdminApiOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--api-key <key>', "admin API key (default: VSEARCH_API_KEY, else the embedded stack's DATA_DIR/admin-api-key)").env('VSEARCH_API_KEY'),
    )
    .addOption(apiUrlOption())
    .addOption(timeoutOption())
    .addOption(jsonOption());
}

export function adminApiClient(options: AdminApiOptions): QueryApiClient {
  const apiKey = options.apiKey ?? readEmbeddedAdminKey(path.resolve(process.env.DATA_DIR ?? './data'));
  if (!apiKey) throw new UsageError('no admin API key: pass --api-key or set VSEARCH_API_KEY (the embedded stack keeps one in DATA_DIR/admin-api-key)');
  return new QueryApiClient(options.apiUrl, { apiKey, timeoutMs: options.timeout });
}
