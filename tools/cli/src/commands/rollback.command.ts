/**
 * `vsearch rollback [--to <collection>]`: swap the `products` alias back to the generation that
 * served before (or a retained one named), atomically, once ingestion caught that generation up
 * from the catalog log (state `catching-up`). Ingestion runs it in turn with reindex jobs and
 * records it as a job, so `--wait` follows it like a reindex (progress: catalog events replayed).
 */
import { Option, type Command } from 'commander';
import { followReindexJob } from '../api/follow-reindex';
import { integerArg } from '../cli/arguments';
import { adminApiClient, withAdminApiOptions, type AdminApiOptions } from '../cli/admin-api';
import { CliError, UsageError } from '../cli/errors';

interface RollbackOptions extends AdminApiOptions {
  to?: string;
  reason?: string;
  wait?: boolean;
  pollMs: number;
  waitTimeout?: number;
}

export function registerCommand(program: Command): void {
  withAdminApiOptions(
    program
      .command('rollback')
      .description(
        'swap the alias back to the previous index generation (retained), or to --to, after catching it up from the catalog log; its model must be loaded on the embedder; see vsearch generations (admin API)',
      )
      .option('--to <collection>', 'the retained generation to swap to (default: the one that served before the live one)')
      .option('--reason <text>', 'why, for the audit log')
      .option('--wait', 'wait until the swap is done (exit 1 if it is refused)')
      .addOption(new Option('--poll-ms <ms>', 'how often --wait asks').default(500).argParser(integerArg('--poll-ms', 50, 60_000)))
      .option('--wait-timeout <seconds>', 'give up waiting after this long (exit 1)', integerArg('--wait-timeout', 1, 24 * 3600)),
  ).action(async (options: RollbackOptions) => {
    if (options.to !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(options.to))
      throw new UsageError('--to must be a collection name as vsearch generations lists it');
    if (options.waitTimeout !== undefined && !options.wait) throw new UsageError('--wait-timeout needs --wait');
    const client = adminApiClient(options);
    const { jobId } = await client.requestRollback({ ...(options.to ? { to: options.to } : {}), ...(options.reason ? { reason: options.reason } : {}) });
    if (!options.wait) {
      if (options.json) process.stdout.write(`${JSON.stringify({ jobId })}\n`);
      else process.stdout.write(`rollback requested: job ${jobId}\nfollow it with: vsearch reindex --job ${jobId}\n`);
      return;
    }
    const job = (await followReindexJob(client, jobId, { pollMs: options.pollMs, waitTimeoutSeconds: options.waitTimeout, showProgress: !options.json }))!;
    if (options.json) process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
    else if (job.state === 'done')
      process.stdout.write(
        `rolled back: ${job.collection} serves${job.previousCollection ? ` (${job.previousCollection} retained)` : ''}; ` +
          `caught up ${job.caughtUp ?? 0} product(s) it lacked or held stale\n`,
      );
    if (job.state === 'failed') throw new CliError(`rollback ${jobId} refused: ${job.error ?? 'no reason given'}`);
  });
}
