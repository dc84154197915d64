/**
 * Test fixtures of ingestion for integration tests outside the service (tools/cli): a generated catalog
 * on a local image host, the settings ingestion needs to reach the harness's services, the store counts.
 * Never imported by production code.
 */
export {
  generateTestCatalog,
  ingestionStackEnv,
  listGenerations,
  publishTestCatalog,
  runReindexJob,
  startImageHost,
  storeCounts,
  type ImageHost,
  type TestCatalog,
} from './testing/fixtures';
