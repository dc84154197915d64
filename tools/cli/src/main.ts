/**
 * vsearch: the operator and merchandiser command line. Each command lives in
 * `commands/<name>.command.ts` and exports `registerCommand(program)`, so
 * commands are added without touching this file.
 */
import { Command, CommanderError } from 'commander';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli/errors';
import { sizeThreadPoolForStack } from './stack/thread-pool';

export interface CommandModule {
  registerCommand(program: Command): void;
}

async function main(argv: string[]): Promise<void> {
  // `vsearch start` decodes images in this process: size libuv's pool before anything uses it.
  sizeThreadPoolForStack();
  // `vsearch search … | head` closes the pipe early: that is not an error worth a stack trace, nor a reason to stop a running stack.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  const program = new Command('vsearch')
    .description('Visual search for e-commerce: run the stack, index catalogs, search, reindex, manage models')
    .showHelpAfterError()
    .exitOverride();
  const commandsDir = path.join(__dirname, 'commands');
  for (const file of readdirSync(commandsDir)
    .filter((name) => name.endsWith('.command.ts'))
    .sort()) {
    const module = (await import(path.join(commandsDir, file))) as CommandModule;
    module.registerCommand(program);
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the problem (and the usage, showHelpAfterError); --help and --version exit 0.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    console.error(`vsearch: ${(error as Error).message}`);
    if (error instanceof CliError) {
      if (error.exitCode === EXIT_USAGE) console.error('(run with --help for usage)');
      process.exitCode = error.exitCode;
      return;
    }
    if (process.env.VSEARCH_DEBUG) console.error(error);
    process.exitCode = EXIT_FAILURE;
  }
}

void main(process.argv);
