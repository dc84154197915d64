// Lint for the whole monorepo. The module-boundary rule is the architecture's
// guard: services import libs, libs never import services, no service imports
// another, the generated proto lib is a leaf, and tooling libs (scope:tools:
// hub download, evaluation) stay out of services, for the CLI only; they may
// use the search scope's store, to evaluate search as it runs.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  {
    ignores: [
      '**/node_modules/**', '**/dist/**', '**/tmp/**', 'data/**', 'models/**', 'artifacts/**',
      'libs/proto/src/generated/**', 'deploy/**', 'load-tests/k6/**', '**/*.js', '**/*.mjs', '**/*.cjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
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
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:cli', 'scope:embedder', 'scope:search', 'scope:ingestion', 'scope:query-api', 'scope:tools', 'scope:shared'] },
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
