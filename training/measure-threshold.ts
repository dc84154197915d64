/**
 * Measures the score cut-offs of a freshly trained model (train.sh runs it): the same calibration
 * as `vsearch models calibrate` (libs/model-tools/src/calibrate), on a 300-product evaluation
 * gallery with seed 11 by default. Prints the report; `--write` stores the cut-offs in model.json.
 *
 *   node tools/cli/bin/run-ts.js training/measure-threshold.ts [--model DIR] [--count 300] [--seed 11] [--write]
 */
import { BUNDLED_MODEL_DIR } from '@vsearch/model';
import { DEFAULT_CALIBRATION_PRODUCTS, DEFAULT_CALIBRATION_SEED, calibrateModel, writeCalibratedThresholds } from '@vsearch/model-tools';
import path from 'node:path';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string, fallback: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const modelDir = path.resolve(flag('--model', BUNDLED_MODEL_DIR));
  const report = await calibrateModel({
    modelDir,
    products: Number(flag('--count', String(DEFAULT_CALIBRATION_PRODUCTS))),
    seed: Number(flag('--seed', String(DEFAULT_CALIBRATION_SEED))),
  });
  console.log(JSON.stringify(report));
  for (const kind of ['text', 'image'] as const) {
    if (report[kind].overlap) console.error(`measure-threshold: relevant and noise ${kind} scores overlap; the ${kind} threshold is a compromise`);
  }
  if (argv.includes('--write')) {
    const manifestPath = writeCalibratedThresholds(modelDir, report);
    console.log(`wrote textSearchScoreThreshold ${report.text.threshold} and imageSearchScoreThreshold ${report.image.threshold} to ${manifestPath}`);
  }
}

main().catch((error: unknown) => {
  console.error(`measure-threshold: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
