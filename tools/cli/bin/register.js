// Runs the TypeScript sources directly: @swc-node/register compiles on the fly
// (with decorator metadata, which NestJS's dependency injection needs) and
// resolves the @vsearch/* path aliases of tsconfig.base.json.
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.resolve(__dirname, '../../../tsconfig.base.json');
require('@swc-node/register');
require('reflect-metadata');
