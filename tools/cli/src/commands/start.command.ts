import type { Command } from 'commander';

/** `vsearch start` (npm start): the embedded stack. Placeholder until the services exist. */
export function registerCommand(program: Command): void {
  program
    .command('start')
    .description('run the whole product on this machine with embedded adapters')
    .action(() => {
      console.error(
        [
          'vsearch start: the embedded stack is not built yet.',
          'Missing: the bundled model (models/clip-mini), the embedder, search, ingestion and query-api services.',
          'Run `npm test` to check what exists today.',
        ].join('\n'),
      );
      process.exitCode = 1;
    });
}
