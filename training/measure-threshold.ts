/**
 * Measures `textSearchScoreThreshold` for a model: the top-1 text→image cosine of real catalog
 * queries against that of nonsense queries, on a generated evaluation gallery. The threshold is
 * placed halfway between the 5th percentile of real queries and the 95th of nonsense ones, so the
 * query API can return nothing for nonsense. `--write` stores it in the model's model.json.
 *
 *   node tools/cli/bin/run-ts.js training/measure-threshold.ts [--model DIR] [--count 300] [--seed 11] [--write]
 */
import { CATEGORIES, CATEGORY_INFO, COLOURS, PATTERNS } from '@vsearch/catalog-generator';
import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import { EVAL_PROMPTS, embedImages, embedTexts, planEvalCatalog, renderAndPreprocess, topK } from '@vsearch/model-tools';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const NONSENSE = [
  'asdfgh',
  'qwerty uiop',
  'zxqv flurble',
  'lorem ipsum dolor sit amet',
  'quantum chromodynamics',
  'the weather tomorrow in paris',
  '1234567',
  '!!!',
  'how to bake bread',
  'car insurance quote',
  'bitcoin price',
  'xkcd',
  'mitochondria',
  'tax return form',
  'football world cup results',
  'kjhgf lkjh',
  'banana smoothie recipe',
  'laptop charger',
  'holiday in spain',
  'ssss',
  'ok',
  'please help',
  'what is the meaning of life',
  'hello world',
  'the',
  'purple monkey dishwasher',
  'error 404',
  'zzzzzzzz zzzz',
];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string, fallback: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const modelDir = path.resolve(flag('--model', BUNDLED_MODEL_DIR));
  const count = Number(flag('--count', '300'));
  const seed = Number(flag('--seed', '11'));
  const runtime = await ModelRuntime.load(modelDir, { executionProviders: ['cpu'] });
  try {
    const { dimension, imageSize } = runtime.info();
    const plan = planEvalCatalog(seed, count);
    const pixels = await renderAndPreprocess(plan, imageSize, 8);
    const gallery = await embedImages(
      runtime,
      pixels.map((p) => p[0]),
      64,
    );
    const real = [
      ...plan.products.slice(0, 60).map((p) => p.title),
      ...plan.products.slice(0, 60).map((p) => EVAL_PROMPTS.attributes(p.spec)),
      ...CATEGORIES.map(EVAL_PROMPTS.category),
      ...COLOURS.map(EVAL_PROMPTS.colour),
      ...CATEGORIES.flatMap((category, i) => [
        `${COLOURS[i % COLOURS.length]} ${CATEGORY_INFO[category].synonyms.at(-1)}`,
        `${PATTERNS[i % PATTERNS.length]} ${category}`,
      ]),
    ];
    const top1 = async (texts: string[]): Promise<number[]> => {
      const vectors = await embedTexts(runtime, texts, 64);
      return texts.map((_, row) => topK(vectors, row, gallery, plan.products.length, dimension, 1)[0].score);
    };
    const realScores = await top1(real);
    const nonsenseScores = await top1(NONSENSE);
    const realLow = percentile(realScores, 5);
    const nonsenseHigh = percentile(nonsenseScores, 95);
    const threshold = Math.round(((realLow + nonsenseHigh) / 2) * 1000) / 1000;
    console.log(
      JSON.stringify({
        model: runtime.info().modelId,
        gallery: count,
        realTop1: {
          queries: realScores.length,
          min: percentile(realScores, 0),
          p5: realLow,
          median: percentile(realScores, 50),
          max: percentile(realScores, 100),
        },
        nonsenseTop1: {
          queries: nonsenseScores.length,
          min: percentile(nonsenseScores, 0),
          median: percentile(nonsenseScores, 50),
          p95: nonsenseHigh,
          max: percentile(nonsenseScores, 100),
        },
        threshold,
        realBelowThreshold: realScores.filter((s) => s < threshold).length / realScores.length,
        nonsenseAboveThreshold: nonsenseScores.filter((s) => s >= threshold).length / nonsenseScores.length,
      }),
    );
    if (realLow <= nonsenseHigh) console.error('measure-threshold: real and nonsense queries overlap; the threshold is a compromise');
    if (argv.includes('--write')) {
      const manifestPath = path.join(modelDir, 'model.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
      manifest.textSearchScoreThreshold = threshold;
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      console.log(`wrote textSearchScoreThreshold ${threshold} to ${manifestPath}`);
    }
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  console.error(`measure-threshold: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
