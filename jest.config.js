// Three tiers, selected with --selectProjects: unit (fakes only, fast),
// integration (real Kafka, onnxruntime, sharp, HTTP servers) and e2e (the
// running stack over its public API and in Chromium).
const { compilerOptions } = require('./tsconfig.base.json');
const fs = require('node:fs');

const swcConfig = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcConfig.$schema;

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')}$`, `<rootDir>/${target}`]),
);

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { ...swcConfig, swcrc: false }],
    // NestJS 12 ships ES modules only; jest on Node 20 cannot require() them, so swc compiles them to CommonJS.
    '/node_modules/@nestjs/.+\\.js$': ['@swc/jest', { ...swcConfig, swcrc: false }],
    // The OTLP exporter loads node:http with a dynamic import(), which jest's module sandbox refuses; swc turns it into require().
    '/node_modules/@opentelemetry/otlp-exporter-base/.+\\.js$': ['@swc/jest', { ...swcConfig, swcrc: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/|@opentelemetry/otlp-exporter-base/)'],
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/tmp/', '<rootDir>/data/'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/tmp/'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,services,tools,load-tests}/**/*.spec.ts'],
      // Only a guard against a hung test: unit tests time nothing (fake clocks), but on a busy 2-core machine a
      // worker can stall for seconds while it loads a suite's modules, which jest's 5 s default counts.
      testTimeout: 30_000,
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services,tools,load-tests,deploy}/**/*.int-spec.ts'],
      testEnvironment: '<rootDir>/tools/test/jest-node-environment.js',
      setupFilesAfterEnv: ['<rootDir>/tools/test/jest/integration-timeout.js'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{libs,services,tools,load-tests}/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/test/jest/e2e-timeout.js'],
    },
  ],
};
