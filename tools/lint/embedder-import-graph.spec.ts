import path from 'node:path';
import { importChain, importGraph } from './import-graph';

/**
 * The embedder loads the model runtime (@vsearch/model) and nothing of the model tooling: neither the hub client
 * and evaluation (@vsearch/model-tools) nor the catalog generator that evaluation draws products from.
 * Real: the repository's sources and tsconfig.base.json paths. Fake: nothing.
 */
describe('embedder import graph', () => {
  const root = path.resolve(__dirname, '../..');
  const TOOLING_ONLY = ['libs/model-tools/', 'libs/catalog-generator/'];

  function reachedUnder(entries: string[], prefixes: string[]): string[] {
    const graph = importGraph(root, entries);
    expect(graph.unresolved).toEqual([]);
    return [...graph.importerOf.keys()].filter((file) => prefixes.some((prefix) => file.startsWith(prefix))).map((file) => importChain(graph, file));
  }

  it('reaches the model runtime from services/embedder/src/index.ts', () => {
    const files = [...importGraph(root, ['services/embedder/src/index.ts']).importerOf.keys()];
    expect(files).toEqual(expect.arrayContaining(['libs/model/src/index.ts', 'libs/model/src/runtime/model-runtime.ts', 'libs/model/src/in-use.ts']));
  });

  it('reaches no tooling library from the embedder entry points', () => {
    expect(reachedUnder(['services/embedder/src/index.ts', 'services/embedder/src/main.ts'], TOOLING_ONLY)).toEqual([]);
  });

  it('reaches no tooling library from the model runtime library', () => {
    expect(reachedUnder(['libs/model/src/index.ts'], TOOLING_ONLY)).toEqual([]);
  });

  it('does find tooling where it is imported: `vsearch models` reaches the hub client, `vsearch eval` the catalog generator', () => {
    expect(reachedUnder(['tools/cli/src/commands/models.command.ts'], TOOLING_ONLY)).toContain(
      'tools/cli/src/commands/models.command.ts -> libs/model-tools/src/index.ts -> libs/model-tools/src/pull/index.ts -> libs/model-tools/src/pull/hub-download.ts',
    );
    expect(reachedUnder(['tools/cli/src/commands/eval.command.ts'], TOOLING_ONLY)).toContainEqual(
      expect.stringMatching(/^tools\/cli\/src\/commands\/eval\.command\.ts -> .* -> libs\/catalog-generator\/src\/index\.ts$/),
    );
  });

  it('refuses an entry point that does not exist, naming it', () => {
    expect(() => importGraph(root, ['services/embedder/src/no-such-file.ts'])).toThrow('entry point services/embedder/src/no-such-file.ts does not exist');
  });
});
