/**
 * Pulls a directory written by build_random_clip.py into a models directory exactly as `vsearch models pull`
 * does: the directory is served on loopback by the test suite's FakeHub (LFS redirects with X-Linked-Etag, git
 * ETags) and the repository's own pullModel fetches, verifies and describes it (model.json).
 *
 *   node tools/cli/bin/run-ts.js training/random-clip/pull-local.ts --hub-dir DIR --models-dir DIR --name NAME
 *       [--quantized] [--force]
 *
 * --quantized takes onnx/*_quantized.onnx as the towers (the dynamic int8 variant).
 */
import path from 'node:path';
import { pullModel } from '@vsearch/model-tools';
// Tooling, not production code: the same fake hub the tests use is the honest way to run the real pull offline.
import { tinyClipHub } from '../../libs/model-tools/src/pull/tiny-clip-fixture.testing';

function option(argv: string[], name: string): string {
  const index = argv.indexOf(name);
  const value = index >= 0 ? argv[index + 1] : undefined;
  if (!value || value.startsWith('--')) throw new Error(`${name} is required (usage: see the header of ${path.basename(__filename)})`);
  return value;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const hubDir = path.resolve(option(argv, '--hub-dir'));
  const modelsDir = path.resolve(option(argv, '--models-dir'));
  const name = option(argv, '--name');
  const quantized = argv.includes('--quantized');
  const repo = `random-clip/${path.basename(hubDir)}`;
  const hub = tinyClipHub(repo, hubDir);
  await hub.start();
  try {
    const result = await pullModel({
      name,
      modelsDir,
      repo,
      endpoint: hub.endpoint,
      force: argv.includes('--force'),
      remoteFiles: quantized ? { vision: 'onnx/vision_model_quantized.onnx', text: 'onnx/text_model_quantized.onnx' } : undefined,
      onLog: (line) => console.log(line),
    });
    console.log(`pulled ${name} (${quantized ? 'int8 quantized' : 'fp32'} towers) into ${result.dir}`);
  } finally {
    await hub.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
