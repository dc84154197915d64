/**
 * `npm run load -- <scenario> [--json] [--duration 10s] [--rate N] [--search-mode hybrid|vector|keyword]`:
 * runs one load scenario against a running stack (the embedded default unless
 * the scenario's target variable says otherwise) and exits non-zero when a
 * threshold fails, like k6. `--search-mode` adds `mode=` to every text search
 * (to compare a mode with the default under the same load). Results also land
 * in tmp/load-results/<name>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SEARCH_MODES, type SearchMode } from '@vsearch/contracts';
import { runGrpcLoad } from './grpc-runner';
import { assertHttpTargetReady, runHttpLoad } from './http-runner';
import { runReindex } from './reindex-action';
import { listScenarioNames, loadScenario, parseDurationMs, resolveTarget, type Scenario } from './scenario';
import { evaluateThresholds, formatOutcomes, type LoadResult } from './thresholds';

export const RESULTS_DIR = path.resolve(__dirname, '../../tmp/load-results');

interface CliOptions {
  scenario: string;
  json: boolean;
  duration?: string;
  rate?: number;
  searchMode?: SearchMode;
}

function parseArgs(argv: string[]): CliOptions {
  const options: Partial<CliOptions> = { json: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--duration') options.duration = argv[++i];
    else if (arg === '--rate') options.rate = Number(argv[++i]);
    else if (arg === '--search-mode') options.searchMode = argv[++i] as SearchMode;
    else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else options.scenario = arg;
  }
  if (!options.scenario) throw new UsageError('missing scenario name');
  if (options.rate !== undefined && !(options.rate > 0)) throw new UsageError('--rate must be a positive number');
  if (options.duration !== undefined) parseDurationMs(options.duration);
  if (options.searchMode !== undefined && !SEARCH_MODES.includes(options.searchMode)) {
    throw new UsageError(`--search-mode must be one of ${SEARCH_MODES.join(', ')}, got ${JSON.stringify(options.searchMode)}`);
  }
  return options as CliOptions;
}

class UsageError extends Error {}

/** The scenario with `mode=<searchMode>` added to every text search's query string. */
export function withSearchMode(scenario: Scenario, searchMode: SearchMode): Scenario {
  if (scenario.protocol !== 'http') throw new UsageError(`--search-mode applies to HTTP scenarios; ${scenario.name} is ${scenario.protocol}`);
  const requests = scenario.requests.map((request) =>
    request.kind === 'text-search' ? { ...request, filters: (request.filters ?? [{}]).map((filter) => ({ ...filter, mode: searchMode })) } : request,
  );
  if (!requests.some((request) => request.kind === 'text-search')) throw new UsageError(`--search-mode: scenario ${scenario.name} has no text search`);
  return { ...scenario, requests };
}

export async function runScenario(scenario: Scenario, env: NodeJS.ProcessEnv = process.env): Promise<LoadResult> {
  const target = resolveTarget(scenario, env);
  if (scenario.protocol === 'grpc') return runGrpcLoad(scenario, target);
  await assertHttpTargetReady(target);
  if (!scenario.during) return runHttpLoad(scenario, target);

  const baselineMs = Math.min(parseDurationMs(scenario.profile.duration), 10_000);
  const baseline = await runHttpLoad(scenario, target, { durationMs: baselineMs });
  const apiKey = env[scenario.during.apiKeyEnv];
  if (!apiKey) throw new Error(`${scenario.during.apiKeyEnv} must hold an admin API key for the reindex action`);
  const action = runReindex(target, apiKey, parseDurationMs(scenario.during.timeout));
  const underLoad = await runHttpLoad(scenario, target, {
    durationMs: parseDurationMs(scenario.during.timeout),
    stopWhen: action,
    minDurationMs: parseDurationMs(scenario.profile.duration),
  });
  return { ...underLoad, baseline, action: await action };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    const message = (error as Error).message;
    console.error(
      `${message ? `load: ${message}\n` : ''}usage: npm run load -- <scenario> [--json] [--duration 30s] [--rate N] [--search-mode ${SEARCH_MODES.join('|')}]\nscenarios: ${listScenarioNames().join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  try {
    const scenario = options.searchMode ? withSearchMode(loadScenario(options.scenario), options.searchMode) : loadScenario(options.scenario);
    if (options.duration) scenario.profile.duration = options.duration;
    if (options.rate) scenario.profile.rate = options.rate;
    const result = await runScenario(scenario);
    const outcomes = evaluateThresholds(scenario, result);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, `${scenario.name}.json`), JSON.stringify({ result, outcomes, profile: scenario.profile }, null, 2));
    console.log(options.json ? JSON.stringify({ result, outcomes }) : formatOutcomes(result, outcomes));
    process.exitCode = outcomes.every((outcome) => outcome.passed) ? 0 : 1;
  } catch (error) {
    console.error(`load: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
