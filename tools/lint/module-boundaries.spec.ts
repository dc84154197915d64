import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Real: ESLint with the repository's config and Nx's project graph.
 * Proves the architecture rule bites, not just that it is configured.
 */
describe('module boundaries', () => {
  const root = path.resolve(__dirname, '../..');

  // The rule reads Nx's cached project graph and skips itself without one (fresh clone).
  beforeAll(() => {
    const graph = spawnSync(path.join(root, 'node_modules/.bin/nx'), ['show', 'projects'], { cwd: root, encoding: 'utf8' });
    expect(graph.status).toBe(0);
  }, 120_000);

  // The ESLint CLI in a child process: its flat config is an ES module, which jest's VM cannot import.
  async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
    // The report goes to a file: on a fresh clone Nx prints a project-graph warning on stdout.
    const report = path.join(mkdtempSync(path.join(os.tmpdir(), 'eslint-')), 'report.json');
    spawnSync(path.join(root, 'node_modules/.bin/eslint'), ['--stdin', '--stdin-filename', filePath, '--format', 'json', '--output-file', report], {
      cwd: root,
      input: code,
      encoding: 'utf8',
    });
    const [result] = JSON.parse(readFileSync(report, 'utf8')) as { messages: { ruleId: string | null; message: string }[] }[];
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('fails lint when a service imports another service', async () => {
    const errors = await boundaryErrors('services/query-api/src/leak.ts', "import '@vsearch/embedder-service';\n");
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);

  it('fails lint when a service reaches into another service by relative path', async () => {
    const errors = await boundaryErrors('services/query-api/src/leak.ts', "import '../../embedder/src/index';\n");
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);

  it('fails lint when a lib imports a service', async () => {
    const errors = await boundaryErrors('libs/contracts/src/leak.ts', "import '@vsearch/search-service';\n");
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);

  it('fails lint when the proto lib imports anything of ours', async () => {
    const errors = await boundaryErrors('libs/proto/src/leak.ts', "import '@vsearch/contracts';\n");
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);

  it.each(['embedder', 'search', 'ingestion', 'query-api'])('fails lint when the %s service imports the model tooling (hub download, evaluation)', async (service) => {
    const errors = await boundaryErrors(`services/${service}/src/leak.ts`, "import '@vsearch/model-tools';\n");
    expect(errors).toEqual([expect.stringContaining('"scope:tools"')]);
  }, 60_000);

  it('lets the CLI import the model tooling', async () => {
    const errors = await boundaryErrors('tools/cli/src/ok.ts', "import '@vsearch/model-tools';\n");
    expect(errors).toEqual([]);
  }, 60_000);

  it('lets the CLI (type:app) import a service, to run the stack in one process', async () => {
    const errors = await boundaryErrors('tools/cli/src/ok.ts', "export const load = () => import('@vsearch/search-service');\n");
    expect(errors).toEqual([]);
  }, 60_000);

  it('lets a service import a shared lib', async () => {
    const errors = await boundaryErrors('services/query-api/src/ok.ts', "import '@vsearch/contracts';\n");
    expect(errors).toEqual([]);
  }, 60_000);
});
