import { BUNDLED_MODEL_DIR } from '@vsearch/model';
import { DEFAULT_EVAL_COUNT, DEFAULT_EVAL_SEED, MIN_EVAL_COUNT, evaluateModel } from '@vsearch/model-tools';
import { InvalidArgumentError, type Command } from 'commander';
import path from 'node:path';

function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return parsed;
  };
}

interface EvalOptions {
  model: string;
  seed: number;
  count: number;
  json?: boolean;
}

function percent(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}

/** `vsearch eval`: retrieval quality of a model on a generated evaluation catalog (never a training seed). */
export function registerCommand(program: Command): void {
  program
    .command('eval')
    .description('measure retrieval quality of a model directory on a generated evaluation catalog')
    .option('--model <dir>', 'model directory (model.json, vision.onnx, text.onnx, tokenizer.json)', BUNDLED_MODEL_DIR)
    .option('--seed <n>', 'evaluation catalog seed', integer('--seed', -(2 ** 31), 2 ** 31), DEFAULT_EVAL_SEED)
    .option('--count <n>', 'products in the evaluation catalog', integer('--count', MIN_EVAL_COUNT, 1_000_000), DEFAULT_EVAL_COUNT)
    .option('--json', 'print one JSON object and nothing else on stdout')
    .action(async (options: EvalOptions) => {
      const { report, details } = await evaluateModel({
        modelDir: path.resolve(options.model),
        seed: options.seed,
        count: options.count,
        onProgress: options.json ? undefined : (message) => process.stderr.write(`${message}\n`),
      });
      if (options.json) {
        console.log(JSON.stringify(report));
        return;
      }
      const { textToImage, imageToImage, zeroShot } = report;
      console.log(
        [
          `model ${report.model}, evaluation seed ${report.seed}, ${report.count} products (${details.images} images; ${details.seenQueries} seen and ${details.heldOutQueries} held-out query combinations)`,
          `text→image  precision@10, seen combinations      ${percent(textToImage.precisionAt10Seen)}`,
          `text→image  precision@10, held-out combinations  ${percent(textToImage.precisionAt10HeldOut)}`,
          `text→image  recall@10, exact product titles       ${percent(textToImage.recallAt10Title)}`,
          `image→image recall@10, another render             ${percent(imageToImage.recallAt10)}`,
          `zero-shot   category accuracy                     ${percent(zeroShot.category)}`,
          `zero-shot   colour accuracy                       ${percent(zeroShot.colour)}`,
          `(${details.seconds.catalog.toFixed(1)} s rendering and preprocessing, ${details.seconds.embed.toFixed(1)} s embedding, ${details.seconds.total.toFixed(1)} s in all)`,
        ].join('\n'),
      );
    });
}
