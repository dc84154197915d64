/**
 * Quality floors of the bundled model on a small but complete evaluation catalog
 * (every queried combination has 10 products, plus random distractors).
 * real: catalog generator (sharp), preprocessing library, onnxruntime-node, the bundled model.
 * mock: nothing. The figures for docs/benchmarks.md come from `npx vsearch eval` (1,000 products).
 */
import { BUNDLED_MODEL_DIR } from '@vsearch/model';
import { evaluateModel, type EvalReport } from './evaluate-model';

describe(evaluateModel.name, () => {
  let report: EvalReport;

  beforeAll(async () => {
    ({ report } = await evaluateModel({ modelDir: BUNDLED_MODEL_DIR, seed: 7, count: 400 }));
  }, 120_000);

  it('prints the documented JSON shape', () => {
    expect(Object.keys(report)).toEqual(['model', 'seed', 'count', 'textToImage', 'imageToImage', 'zeroShot']);
    expect(Object.keys(report.textToImage)).toEqual(['precisionAt10Seen', 'precisionAt10HeldOut', 'recallAt10Title']);
    expect(report).toMatchObject({ model: expect.stringMatching(/^clip-mini@/), seed: 7, count: 400 });
  });

  it('finds products of seen attribute combinations (precision@10 ≥ 0.90)', () => {
    expect(report.textToImage.precisionAt10Seen).toBeGreaterThanOrEqual(0.9);
  });

  it('generalises to colour × pattern combinations never seen in training (precision@10 ≥ 0.75)', () => {
    expect(report.textToImage.precisionAt10HeldOut).toBeGreaterThanOrEqual(0.75);
  });

  it('classifies category (≥ 0.95) and colour (≥ 0.90) zero-shot', () => {
    expect(report.zeroShot.category).toBeGreaterThanOrEqual(0.95);
    expect(report.zeroShot.colour).toBeGreaterThanOrEqual(0.9);
  });

  it('finds the same product from another render better than chance', () => {
    // No floor in the issue; 10 of 400 at random would be 0.025.
    expect(report.imageToImage.recallAt10).toBeGreaterThan(0.2);
  });
});
