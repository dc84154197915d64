// What the images will contain, checked without a Docker engine: the files
// each Dockerfile's runtime stage COPYs from the build context (filtered by
// .dockerignore, with Docker's matching rules), against what the entry points
// import at run time (the service's main.ts, the `vsearch` CLI that the
// model-pull init container runs, the HEALTHCHECK script), and the packages they
// import against the production dependencies that `npm ci --omit=dev` installs.
// A file left out of the context or a devDependency imported by production code
// would only show up as a crash in the cluster; here it fails the test.
//
// real: the repository's files, .dockerignore, package.json, tsconfig paths.
// fake: nothing; the import graph is read from the sources with a scanner that
//       knows `import`/`export ... from`, `require()` and `import()` (type-only
//       imports are erased by the compiler and skipped).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { REPO_ROOT, dockerignore, imageFiles, isIgnored, read } from './lib.mjs';
const packageJson = JSON.parse(read('package.json'));
const aliases = JSON.parse(read('tsconfig.base.json')).compilerOptions.paths;

const SOURCE_EXTENSIONS = ['.ts', '.js', '.json', '/index.ts', '/index.js'];
function resolveLocal(base) {
  if (existsSync(path.join(REPO_ROOT, base)) && statSync(path.join(REPO_ROOT, base)).isFile()) return base;
  for (const extension of SOURCE_EXTENSIONS) if (existsSync(path.join(REPO_ROOT, base + extension))) return base + extension;
  return undefined;
}

/** Runtime import specifiers of a source file (type-only imports are erased by the compiler). */
function importsOf(file) {
  const text = read(file)
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+([^;]*?)\s+from\s+['"]([^'"]+)['"]/gms)) {
    const clause = match[2].trim();
    if (clause.startsWith('type ')) continue;
    const named = clause.match(/^\{([^}]*)\}$/);
    if (
      named &&
      named[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '))
    )
      continue;
    specifiers.push(match[3]);
  }
  for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specifiers.push(match[1]);
  for (const match of text.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]);
  return specifiers;
}

const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Every repository file and package reached from the entry points. */
function importGraph(entries) {
  const files = new Set();
  const packages = new Map(); // package -> first importer
  const unresolved = [];
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop();
    if (files.has(file)) continue;
    files.add(file);
    if (!/\.(ts|js)$/.test(file)) continue;
    for (const specifier of importsOf(file)) {
      let target;
      if (specifier.startsWith('.')) target = resolveLocal(path.posix.join(path.posix.dirname(file), specifier));
      else if (aliases[specifier]) target = resolveLocal(aliases[specifier][0].replace(/\.ts$/, ''));
      else if (specifier.startsWith('node:') || builtinModules.includes(packageName(specifier))) continue;
      else {
        if (!packages.has(packageName(specifier))) packages.set(packageName(specifier), file);
        continue;
      }
      if (target) queue.push(target);
      else unresolved.push(`${file}: ${specifier}`);
    }
  }
  return { files, packages, unresolved };
}

const cliCommands = readdirSync(path.join(REPO_ROOT, 'tools/cli/src/commands'))
  .filter((name) => name.endsWith('.command.ts'))
  .map((name) => `tools/cli/src/commands/${name}`);

/** The bundled models both embedder images bake in: CLIP and the describer. */
const EMBEDDER_MODEL_FILES = [
  'models/clip-mini/model.json',
  'models/clip-mini/vision.onnx',
  'models/clip-mini/text.onnx',
  'models/clip-mini/tokenizer.json',
  'models/describer-mini/model.json',
  'models/describer-mini/image_encoder.onnx',
  'models/describer-mini/decoder.onnx',
  'models/describer-mini/tokenizer.json',
];

const IMAGES = {
  'services/query-api/Dockerfile': { service: 'query-api', data: [] },
  'services/ingestion/Dockerfile': { service: 'ingestion', data: [] },
  'services/search/Dockerfile': { service: 'search', data: [] },
  'services/embedder/Dockerfile': {
    service: 'embedder',
    data: EMBEDDER_MODEL_FILES,
  },
  'services/embedder/Dockerfile.cuda': {
    service: 'embedder',
    data: EMBEDDER_MODEL_FILES,
  },
};

describe('.dockerignore matching', () => {
  test('follows Docker: last match wins, parent directories match their files', () => {
    const ignored = dockerignore('*\n!libs/\n**/*.spec.ts\nlibs/testing/\n!libs/testing/keep.ts\n');
    assert.equal(ignored('README.md'), true);
    assert.equal(ignored('libs/model/src/index.ts'), false);
    assert.equal(ignored('libs/model/src/index.spec.ts'), true);
    assert.equal(ignored('libs/testing/src/index.ts'), true);
    assert.equal(ignored('libs/testing/keep.ts'), false);
    assert.equal(ignored('services/x/src/main.ts'), true);
  });

  test('keeps tests, fixtures and local data out of the build context', () => {
    for (const file of [
      'libs/model-tools/src/pull/pull-model.int-spec.ts',
      'node_modules/zod/package.json',
      'data/x',
      'tmp/x',
      'models/clip-mini/reference/reference.json',
      'training/train.py',
    ]) {
      assert.equal(isIgnored(file), true, file);
    }
  });
});

for (const [dockerfile, { service, data }] of Object.entries(IMAGES)) {
  describe(`${dockerfile} image`, () => {
    const contents = imageFiles(dockerfile);
    const entries = [
      `services/${service}/src/main.ts`,
      'tools/cli/bin/run-ts.js',
      'tools/cli/bin/vsearch.js',
      'tools/cli/src/main.ts',
      ...cliCommands,
      'deploy/docker/healthcheck.js',
    ];

    test('runs an entry point that exists: CMD names services/<name>/src/main.ts', () => {
      const cmd = read(dockerfile).match(/^CMD \[(.*)\]$/m)[1];
      assert.equal(cmd, `"node", "tools/cli/bin/run-ts.js", "services/${service}/src/main.ts"`);
      assert.ok(existsSync(path.join(REPO_ROOT, entries[0])), `${entries[0]} exists`);
    });

    test('contains every source file its entry points and the vsearch CLI import', () => {
      const graph = importGraph(entries);
      assert.deepEqual(graph.unresolved, [], 'every import resolves to a file');
      const missing = [...graph.files].filter((file) => !contents.has(file));
      assert.deepEqual(missing, [], 'files imported at run time but not in the image');
      assert.ok(graph.files.size > 20, `followed ${graph.files.size} files`);
    });

    test('imports only production dependencies (npm ci --omit=dev)', () => {
      const { packages } = importGraph(entries);
      const notProduction = [...packages]
        .filter(([name]) => !(name in packageJson.dependencies) && name !== '@vsearch/cli')
        .map(([name, importer]) => `${name} (imported by ${importer})`);
      assert.deepEqual(notProduction, []);
    });

    test('carries the model files and configuration it reads', () => {
      for (const file of [...data, 'tsconfig.base.json', '.swcrc', 'package.json']) assert.ok(contents.has(file), file);
      const tests = [...contents].filter((file) => /\.(spec|int-spec|e2e-spec)\.ts$/.test(file) || file.includes('/fixtures/'));
      assert.deepEqual(tests, [], 'no tests or fixtures in the image');
    });
  });
}
