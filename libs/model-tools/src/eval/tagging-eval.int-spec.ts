/**
 * Quality floors of zero-shot tagging with the bundled model (clip-mini, trained on our synthetic
 * catalog: these floors say nothing about real photos) on a small evaluation catalog, fixed seed.
 * real: catalog generator (sharp), preprocessing library, onnxruntime-node, the bundled model, libs/zero-shot.
 * mock: nothing. The figures for docs/benchmarks.md come from `npx vsearch eval` (1,000 products).
 */
import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import { evaluateModel } from './evaluate-model';
import { EVAL_TAG_THRESHOLD, evaluateTagging, type TaggingEvalReport } from './tagging-eval';

describe(evaluateTagging.name, () => {
  let report: TaggingEvalReport;

  beforeAll(async () => {
    const runtime = await ModelRuntime.load(BUNDLED_MODEL_DIR, { executionProviders: ['cpu'] });
    try {
      const { catalog } = await evaluateModel({ runtime, seed: 7, count: 400 });
      report = await evaluateTagging({ runtime, catalog });
    } finally {
      await runtime.close();
    }
  }, 180_000);

  it('tags at the default threshold', () => {
    expect(report.threshold).toBe(EVAL_TAG_THRESHOLD);
  });

  it('classifies category (≥ 0.95), colour (≥ 0.90) and pattern (≥ 0.85)', () => {
    expect(report.attributes.category.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(report.attributes.colour.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.attributes.pattern.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('applies tags with precision ≥ 0.95 at the default threshold, on every attribute', () => {
    for (const figures of Object.values(report.attributes)) expect(figures.precision).toBeGreaterThanOrEqual(0.95);
  });

  it('reports held-out colour × pattern combinations separately', () => {
    expect(report.heldOut.products).toBeGreaterThan(0);
    expect(report.heldOut.colour.accuracy).toBeGreaterThan(0);
  });
});
