#!/usr/bin/env node
// Usage: node tools/cli/bin/run-ts.js <file.ts> [args...] — runs a TypeScript
// entry point of this repository as the main module (require.main === module).
const path = require('node:path');
require('./register');
const [, , file, ...rest] = process.argv;
if (!file) {
  console.error('usage: run-ts.js <file.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...rest];
require('node:module').runMain();
