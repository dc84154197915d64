/**
 * vsearch: the operator and merchandiser command line. Until the embedded
 * stack exists, `npm start` says plainly what is missing.
 */
const command = process.argv[2] ?? 'help';

if (command === 'start') {
  console.error(
    [
      'vsearch start: the embedded stack is not built yet.',
      'Missing: the bundled model (models/clip-mini), the embedder, search, ingestion and query-api services.',
      'Run `npm test` to check what exists today.',
    ].join('\n'),
  );
  process.exit(1);
}
console.error(`vsearch: unknown command "${command}"`);
process.exit(2);
