/**
 * The describer's quality floors (issue 19), measured as `vsearch eval --describe` measures them:
 * on a held-out evaluation catalog (seed 11, an evaluation-only seed stream), descriptions and
 * answers from the bundled describer-mini over its real gRPC service.
 * real: the embedder service started from its main.ts by the testing harness, with the describer on
 * (onnxruntime-node, models/describer-mini), the CLI as a child process, the catalog generator and
 * preprocessing (sharp). mock: nothing.
 * The floors are the and are not lowered here, with one exception marked KNOWN GAP below (yes/no
 * answers), which the bundled model does not reach yet: that one guards the current figure instead.
 */
import { BUNDLED_DESCRIBER_DIR } from '@vsearch/model';
import { spawnCli, startService, type RunningService } from '@vsearch/testing';
import type { DescriberEvalReport, DescriberScores } from '@vsearch/model-tools';

const SEED = 11;
const PRODUCTS = 40;

let embedder: RunningService;
let report: DescriberEvalReport;

beforeAll(async () => {
  embedder = await startService('embedder', { env: { DESCRIBER_MODEL_DIR: BUNDLED_DESCRIBER_DIR, INFERENCE_WORKERS: 1 } });
  const cli = spawnCli(['eval', '--describe', '--json', '--seed', String(SEED), '--count', String(PRODUCTS), '--describer-addr', embedder.address]);
  const code = await cli.exited;
  if (code !== 0) throw new Error(`vsearch eval --describe exited ${code}:\n${cli.output()}`);
  // --json prints one JSON object on stdout and nothing else; the output also holds stderr's lines.
  const json = cli
    .output()
    .split('\n')
    .find((line) => line.startsWith('{"model"'));
  if (!json) throw new Error(`vsearch eval --describe printed no report:\n${cli.output()}`);
  report = JSON.parse(json) as DescriberEvalReport;
}, 300_000);

afterAll(async () => {
  await embedder?.stop();
});

describe('describer quality floors (vsearch eval --describe, held-out seed)', () => {
  it('reports both groups of the evaluation catalog with every figure', () => {
    expect(report).toMatchObject({ model: expect.stringMatching(/^describer-mini@/), seed: SEED, count: PRODUCTS });
    expect(report.seen.products + report.heldOut.products).toBe(PRODUCTS);
    expect(report.heldOut.products).toBeGreaterThan(0);
    for (const scores of [report.seen, report.heldOut]) {
      expect(scores.describe.bleu4).toBeGreaterThanOrEqual(0);
      expect(scores.describe.cider).toBeGreaterThanOrEqual(0);
    }
  });

  /** The figures under `floor` (empty when all meet it), so a failure shows every figure that missed. */
  const below = (floor: number, figures: Record<string, number>) => Object.fromEntries(Object.entries(figures).filter(([, value]) => value < floor));

  // Seen combinations carry the floors; held-out ones are reported apart (the issue asks for them separately).
  const seen = (): DescriberScores => report.seen;

  it('names category, colour and pattern correctly in at least 90% of descriptions each', () => {
    const { categoryAccuracy, colourAccuracy, patternAccuracy } = seen().describe;
    expect(below(0.9, { categoryAccuracy, colourAccuracy, patternAccuracy })).toEqual({});
  });

  it('names an attribute the product does not have in at most 5% of descriptions', () => {
    expect(seen().describe.hallucinationRate).toBeLessThanOrEqual(0.05);
  });

  it('answers colour and category questions correctly at least 90% of the time each', () => {
    const { colour, category } = seen().qa;
    expect(below(0.9, { colour: colour.accuracy, category: category.accuracy })).toEqual({});
  });

  it('answers yes/no questions (true and false in equal measure) correctly at least 90% of the time', () => {
    expect(seen().qa.yes_no.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('answers "i can\'t tell from the photo" to at least 95% of the questions a photo cannot answer', () => {
    expect(seen().cantTellRate).toBeGreaterThanOrEqual(0.95);
  });
});
