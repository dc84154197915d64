// Lint for the whole monorepo. The module-boundary rule is the architecture's
// guard: services import libs, libs never import services, no service imports
// another, the generated proto lib is a leaf, and tooling libs (scope:tools:
// hub download, evaluation) stay out of services, for the CLI only; they may
// use the search scope's store, to evaluate search as it runs. TypeScript
// is linted with type information, so a promise nobody awaits or handles is an
// error; the web page's plain script is linted as browser JavaScript.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default [
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/tmp/**',
      'data/**',
      'models/**',
      'artifacts/**',
      'libs/proto/src/generated/**',
      'deploy/**',
      'load-tests/k6/**',
      // Installed on demand (its package.json), so not typed here; checked with its own tsconfig once installed.
      'libs/vector-store/bench/lancedb/**',
      'libs/vector-store/bench/keyword-engines/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      // The shoppers' page ships as written (no build): its script is linted below.
      '!services/*/src/web/**/*.js',
    ],
  },
  {
    files: ['services/*/src/web/**/*.js'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 'latest', sourceType: 'script', globals: globals.browser },
  },
  // Scoped to TypeScript so the browser script gets plain JavaScript rules and parser.
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    // Types come from the root tsconfig.json, the one `npm run typecheck` checks.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Type-aware bug catchers that cost little: an unhandled promise (detach one on purpose with
      // `void` and a comment saying why), a promise where a callback or condition expects a plain
      // value, awaiting what is not a promise, `return promise` inside try (the catch never sees its
      // rejection), and a few operators applied to types they do not work on.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/restrict-plus-operands': 'error',
      '@typescript-eslint/no-duplicate-type-constituents': 'error',
      '@typescript-eslint/no-redundant-type-constituents': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:service', 'type:feature', 'type:data-access', 'type:util', 'type:proto'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:proto'] },
            // The scope rules below already keep tooling out of every service; this says it whatever scope a service has.
            { sourceTag: 'type:service', notDependOnLibsWithTags: ['scope:tools'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:proto'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:proto'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:proto'] },
            { sourceTag: 'type:proto', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:embedder', onlyDependOnLibsWithTags: ['scope:embedder', 'scope:shared'] },
            { sourceTag: 'scope:search', onlyDependOnLibsWithTags: ['scope:search', 'scope:shared'] },
            { sourceTag: 'scope:ingestion', onlyDependOnLibsWithTags: ['scope:ingestion', 'scope:shared'] },
            { sourceTag: 'scope:query-api', onlyDependOnLibsWithTags: ['scope:query-api', 'scope:shared'] },
            // Evaluating hybrid search honestly needs the real store (scope:search); services still cannot import tools.
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:search', 'scope:shared'] },
            { sourceTag: 'scope:load-tests', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:cli',
              onlyDependOnLibsWithTags: ['scope:cli', 'scope:embedder', 'scope:search', 'scope:ingestion', 'scope:query-api', 'scope:tools', 'scope:shared'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/bench/**/*.ts', 'libs/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
