/**
 * `vsearch eval` as a user runs it.
 * real: the CLI as a child process, the catalog generator (sharp), preprocessing, onnxruntime-node,
 * the bundled model, the embedded vector store. mock: nothing. (Quality floors: libs/model-tools/src/eval/evaluate-model.int-spec.ts.)
 */
import { REPO_ROOT } from '@vsearch/testing';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

function vsearch(args: string[]) {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'tools/cli/bin/vsearch.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
}

describe('vsearch eval', () => {
  it('prints exactly one JSON object of the documented shape with --json', () => {
    const result = vsearch(['eval', '--json', '--seed', '5', '--count', '30', '--model', 'models/clip-mini']);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]) as Record<string, unknown>;
    const taggingFigures = {
      accuracy: expect.any(Number),
      coverage: expect.any(Number),
      precision: expect.any(Number),
      expectedCalibrationError: expect.any(Number),
    };
    expect(report).toEqual({
      model: expect.stringMatching(/^clip-mini@/),
      seed: 5,
      count: 30,
      textToImage: { precisionAt10Seen: expect.any(Number), precisionAt10HeldOut: expect.any(Number), recallAt10Title: expect.any(Number) },
      imageToImage: { recallAt10: expect.any(Number) },
      zeroShot: { category: expect.any(Number), colour: expect.any(Number) },
      hybridSearch: { store: 'embedded', textScoreThreshold: expect.any(Number), types: expect.any(Object) },
      tagging: {
        threshold: expect.any(Number),
        aggregation: 'mean-vector',
        attributes: { category: taggingFigures, colour: taggingFigures, pattern: taggingFigures },
        heldOut: { products: expect.any(Number), colour: taggingFigures, pattern: taggingFigures },
        aggregations: expect.any(Object),
        thresholds: expect.any(Array),
      },
    });
    const modeScores = { recallAt10: expect.any(Number), precisionAt10: expect.any(Number), mrr: expect.any(Number) };
    const types = (report.hybridSearch as { types: Record<string, unknown> }).types;
    expect(Object.keys(types)).toEqual(['exactTitle', 'brandCategory', 'brand', 'modelCategory', 'typoCategory', 'synonym', 'attributes']);
    for (const row of Object.values(types)) {
      expect(row).toEqual({ queries: expect.any(Number), meanRelevant: expect.any(Number), vector: modeScores, keyword: modeScores, hybrid: modeScores });
    }
  });

  it('prints the per-type hybrid-search table with the note on the synthetic catalog', () => {
    const result = vsearch(['eval', '--seed', '5', '--count', '30', '--model', 'models/clip-mini']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^query type +queries +relevant +vector: +R@10 +P@10 +MRR +keyword: +R@10 +P@10 +MRR +hybrid: +R@10 +P@10 +MRR$/m);
    for (const label of [
      'exact title',
      'brand \\+ category',
      'brand alone',
      'model name \\+ category',
      'one-typo category',
      'synonym / paraphrase',
      'attribute prompt',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^${label} +\\d+ +[\\d.]+( +[\\d.]+% +[\\d.]+% +[\\d.]+){3}$`, 'm'));
    }
    expect(result.stdout).toMatch(/^ {2}attribute +accuracy +coverage +precision +ECE$/m);
    for (const attribute of ['category', 'colour', 'pattern', 'colour, held-out \\(\\d+\\)', 'pattern, held-out \\(\\d+\\)']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${attribute} +[\\d.]+% +[\\d.]+% +[\\d.]+% +[\\d.]+$`, 'm'));
    }
    expect(result.stdout).toMatch(/small and trained on this same synthetic catalog/);
  });

  it('refuses a catalog too small to measure, with a usage error', () => {
    const result = vsearch(['eval', '--count', '5']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--count must be an integer from 30/);
  });
});
