import path from 'node:path';
import { Option, type Command } from 'commander';
import { followReindexJob } from '../api/follow-reindex';
import { QueryApiClient } from '../api/query-api.client';
import { collectList, integerArg } from '../cli/arguments';
import { apiUrlOption, jsonOption, timeoutOption } from '../cli/common-options';
import { CliError, UsageError } from '../cli/errors';
import { readEmbeddedAdminKey } from '../stack/admin-key';
import { gateLines } from '../output/gate-report';

interface ReindexOptions {
  wait?: boolean;
  detach?: boolean;
  job?: string;
  category?: string[];
  reason?: string;
  model?: string;
  force?: string;
  apiKey?: string;
  apiUrl: string;
  timeout: number;
  pollMs: number;
  waitTimeout?: number;
  json?: boolean;
}

/**
 * `vsearch reindex`: rebuild the index into a new collection generation, then swap the alias
 * (zero downtime); with `--category`, refresh those products in place instead. Prints the job id,
 * then follows the job until it ends (`--detach`: only the id); `--job ID` follows one requested
 * earlier. Job state comes from the durable job store, so following survives ingestion restarts.
 */
export function registerCommand(program: Command): void {
  program
    .command('reindex')
    .description('rebuild the index into a new collection generation and swap it in without downtime, or refresh some categories in place (admin API)')
    .option('--wait', 'follow the job with a progress bar until it ends (the default; exit 1 if it fails)')
    .option('--detach', 'print the job id and return without following the job')
    .option('--job <id>', 'follow a job requested earlier instead of requesting a new one; exits 0 when it is done, 1 with its error when it failed')
    .option(
      '--category <name>',
      'only fetch and embed again the products in this category, in place in the live collection (repeatable, or comma-separated)',
      collectList,
    )
    .option('--reason <text>', 'why, for the audit log')
    .option(
      '--model <id>',
      "fill the new generation with this model, loaded on the embedder beside its default (a model rollout); default: the embedder's default model",
    )
    .option(
      '--force <reason>',
      'swap the new generation in even if it fails its gates (product count, failed images, golden and catalog recall); the reason is logged and recorded',
    )
    .addOption(
      new Option('--api-key <key>', "admin API key (default: VSEARCH_API_KEY, else the embedded stack's DATA_DIR/admin-api-key)").env('VSEARCH_API_KEY'),
    )
    .addOption(apiUrlOption())
    .addOption(timeoutOption())
    .addOption(new Option('--poll-ms <ms>', 'how often --wait asks for progress').default(1000).argParser(integerArg('--poll-ms', 50, 60_000)))
    .option('--wait-timeout <seconds>', 'give up waiting after this long (exit 1; the job goes on)', integerArg('--wait-timeout', 1, 7 * 24 * 3600))
    .addOption(jsonOption())
    .action(async (options: ReindexOptions) => {
      if (options.job !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(options.job))
        throw new UsageError('--job must be a job id as printed by `vsearch reindex` (letters, digits, "_" or "-")');
      if (options.job !== undefined && (options.category || options.reason || options.model || options.force))
        throw new UsageError('--job follows an existing job: --category, --reason, --model and --force apply to a new one');
      if (options.model !== undefined && options.category) throw new UsageError('--model rebuilds the whole catalog: it does not go with --category');
      if (options.force !== undefined && options.category)
        throw new UsageError('--force applies to a whole-catalog reindex: --category refreshes in place and swaps nothing');
      if (options.force !== undefined && !options.force.trim()) throw new UsageError('--force needs a reason');
      if (options.detach && (options.wait || options.job !== undefined)) throw new UsageError('--detach does not follow the job: leave out --wait and --job');
      const wait = !options.detach;
      if (options.waitTimeout !== undefined && !wait) throw new UsageError('--wait-timeout follows the job: leave out --detach');
      const apiKey = options.apiKey ?? readEmbeddedAdminKey(path.resolve(process.env.DATA_DIR ?? './data'));
      if (!apiKey) throw new UsageError('no admin API key: pass --api-key or set VSEARCH_API_KEY (the embedded stack keeps one in DATA_DIR/admin-api-key)');
      const client = new QueryApiClient(options.apiUrl, { apiKey, timeoutMs: options.timeout });
      const jobId =
        options.job ??
        (
          await client.requestReindex({
            categories: options.category,
            reason: options.reason,
            modelId: options.model,
            ...(options.force ? { force: { reason: options.force.trim() } } : {}),
          })
        ).jobId;
      if (!wait) {
        if (options.json) process.stdout.write(`${JSON.stringify({ jobId })}\n`);
        else
          process.stdout.write(
            `reindex requested: job ${jobId}\nfollow it with: vsearch reindex --job ${jobId}, or GET ${options.apiUrl}/v1/admin/reindex/${jobId}\n`,
          );
        return;
      }
      if (!options.json && !options.job) process.stdout.write(`reindex requested: job ${jobId}\n`);
      const job = (await followReindexJob(client, jobId, {
        pollMs: options.pollMs,
        waitTimeoutSeconds: options.waitTimeout,
        showProgress: !options.json,
        // A job we just requested may not have reached ingestion yet; one named by the user must exist.
        unknownJobGraceMs: options.job ? 0 : undefined,
      }))!;
      if (options.json) process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
      else if (job.state === 'done')
        process.stdout.write(
          `reindex ${jobId} done: ${job.done} products into ${job.collection}${job.previousCollection ? ` (replaced ${job.previousCollection})` : ''}\n`,
        );
      if (job.gates && !options.json)
        process.stdout.write(`gates${job.gates.forcedReason ? ` (forced: ${job.gates.forcedReason})` : ''}:\n${gateLines(job.gates)}\n`);
      if (job.state === 'failed') throw new CliError(`reindex ${jobId} failed: ${job.error ?? 'no reason given'}`);
    });
}
