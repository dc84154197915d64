import { spawnSync } from 'node:child_process';
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

  // ESLint's Node API in a child process: its flat config is an ES module, which jest's VM cannot import.
  // The probe files exist only as text, so TypeScript's project service cannot place them in
  // tsconfig.json: the repository's config runs with type-aware linting switched off, which the
  // boundary rule does not use.
  const LINT_TEXT = `
    import { ESLint } from 'eslint';
    import tseslint from 'typescript-eslint';
    const eslint = new ESLint({ overrideConfig: { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked } });
    const [result] = await eslint.lintText(process.env.PROBE_CODE, { filePath: process.env.PROBE_PATH });
    process.stdout.write('\\n' + JSON.stringify(result.messages));
  `;

  async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', LINT_TEXT], {
      cwd: root,
      env: { ...process.env, PROBE_PATH: filePath, PROBE_CODE: code },
      encoding: 'utf8',
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    // The report is the last line: on a fresh clone Nx prints a project-graph warning first.
    const messages = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { ruleId: string | null; message: string; fatal?: boolean }[];
    expect(messages.filter((m) => m.fatal)).toEqual([]);
    return messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
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

  it.each(['embedder', 'search', 'ingestion', 'query-api'])(
    'fails lint when the %s service imports the model tooling (hub download, evaluation)',
    async (service) => {
      const errors = await boundaryErrors(`services/${service}/src/leak.ts`, "import '@vsearch/model-tools';\n");
      expect(errors).toEqual([expect.stringContaining('"scope:tools"')]);
    },
    60_000,
  );

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
