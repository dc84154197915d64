/**
 * vsearch: the operator and merchandiser command line. Each command lives in
 * `commands/<name>.command.ts` and exports `registerCommand(program)`, so
 * commands are added without touching this file.
 */
import { Command, CommanderError } from 'commander';
import { readdirSync } from 'node:fs';
import path from 'node:path';

export interface CommandModule {
  registerCommand(program: Command): void;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('vsearch')
    .description('Visual search for e-commerce: run the stack, index catalogs, search, reindex, manage models')
    .showHelpAfterError()
    .exitOverride();
  const commandsDir = path.join(__dirname, 'commands');
  for (const file of readdirSync(commandsDir).filter((name) => name.endsWith('.command.ts')).sort()) {
    const module = (await import(path.join(commandsDir, file))) as CommandModule;
    module.registerCommand(program);
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    console.error(`vsearch: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

void main(process.argv);
