import { BUNDLED_MODEL_DIR, MODEL_DTYPES, modelId, type ModelDtype } from '@vsearch/model';
import {
  DEFAULT_CALIBRATION_PRODUCTS,
  DEFAULT_CALIBRATION_SEED,
  DEFAULT_DTYPE,
  KNOWN_MODELS,
  MIN_EVAL_COUNT,
  MODELS_DIR,
  calibrateModel,
  listModels,
  parseModelDtype,
  pullModel,
  writeCalibratedThresholds,
  type CalibratedThreshold,
  type DownloadProgress,
} from '@vsearch/model-tools';
import { InvalidArgumentError, type Command } from 'commander';
import path from 'node:path';
import { integerArg } from '../cli/arguments';

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function parseDtypeArgument(value: string): ModelDtype {
  try {
    return parseModelDtype(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function collectSha256(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([^=]+)=([0-9a-fA-F]{64})$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected FILE=SHA256 (64 hex digits)');
  return { ...previous, [match[1]]: match[2].toLowerCase() };
}

/** Progress on a terminal: one line redrawn in place; otherwise a plain line every 10% per file. */
function progressReporter(stream: NodeJS.WriteStream): (progress: DownloadProgress) => void {
  let lastFile = '';
  let lastDraw = 0;
  let lastDecile = -1;
  return ({ file, receivedBytes, totalBytes, bytesPerSecond }) => {
    const percent = totalBytes ? Math.floor((100 * receivedBytes) / totalBytes) : undefined;
    const line = `${file}: ${megabytes(receivedBytes)}${totalBytes ? ` / ${megabytes(totalBytes)} (${percent}%)` : ''} at ${megabytes(bytesPerSecond)}/s`;
    const done = totalBytes !== undefined && receivedBytes >= totalBytes;
    if (file !== lastFile) {
      if (stream.isTTY && lastFile) stream.write('\n');
      lastFile = file;
      lastDecile = -1;
    }
    if (stream.isTTY) {
      const now = Date.now();
      if (!done && now - lastDraw < 100) return;
      lastDraw = now;
      stream.write(`\r\x1b[2K${line}${done ? '\n' : ''}`);
      return;
    }
    const decile = percent === undefined ? Math.floor(receivedBytes / 50e6) : Math.floor(percent / 10);
    if (decile === lastDecile && !done) return;
    lastDecile = decile;
    stream.write(`${line}\n`);
  };
}

interface PullOptions {
  repo?: string;
  revision: string;
  force?: boolean;
  sha256: Record<string, string>;
  dir: string;
  dtype?: ModelDtype;
  visionFile?: string;
  textFile?: string;
}

interface CalibrateOptions {
  modelDir: string;
  products: number;
  seed: number;
  dryRun?: boolean;
  json?: boolean;
}

function describeThreshold(kind: string, field: string, result: CalibratedThreshold): string {
  const separation = result.overlap
    ? `the distributions overlap: cut at the 5th percentile of relevant scores, ${(100 * result.noiseAbove).toFixed(0)}% of noise stays above`
    : `relevant 5th percentile ${result.relevantLow.toFixed(3)} > noise 95th ${result.noiseHigh.toFixed(3)}`;
  return `${field} ${result.threshold}  (${kind}: relevant ${result.relevant.count} scores, median ${result.relevant.median.toFixed(3)}; noise ${result.noise.count}, median ${result.noise.median.toFixed(3)}; ${separation})`;
}

/** `vsearch models list | pull | calibrate`: the model directories under models/. */
export function registerCommand(program: Command): void {
  const models = program.command('models').description('list the installed models, pull a real CLIP export from the Hugging Face hub');

  models
    .command('list')
    .description('models under models/ with id, dimension, input size and size on disk')
    .option('--dir <dir>', 'models directory', MODELS_DIR)
    .action((options: { dir: string }) => {
      const installed = listModels(options.dir);
      if (installed.length === 0) {
        console.log(`no models in ${options.dir}`);
        return;
      }
      for (const model of installed) {
        if (!model.manifest) {
          console.log(`${model.name}  (not a model: ${model.problem})`);
          continue;
        }
        const { manifest } = model;
        console.log(
          `${modelId(manifest)}  dimension ${manifest.embeddingDimension}  image ${manifest.image.size}px  text ${manifest.text.contextLength} tokens  ${megabytes(model.bytes)}${model.inUse ? '  IN USE' : ''}`,
        );
      }
    });

  models
    .command('pull <name>')
    .description(
      `download a CLIP ONNX export and its tokenizer into models/<name>/ (hub: HF_ENDPOINT or https://huggingface.co; token: HF_TOKEN). Known names: ${Object.entries(
        KNOWN_MODELS,
      )
        .map(([name, repo]) => `${name} (${repo})`)
        .join(', ')}`,
    )
    .option('--repo <org/repo>', 'Hugging Face repository (default: from the name)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--force', 'replace an existing model directory (never one in use)')
    .option('--sha256 <file=hex>', 'expected sha256 of a file (repository path or local name); repeatable', collectSha256, {})
    .option(
      '--dtype <dtype>',
      `precision variant of the towers, as Transformers.js names them (${MODEL_DTYPES.join(', ')}; q8 is onnx/*_quantized.onnx); default ${DEFAULT_DTYPE}. Recorded in model.json and the model id (name@version+dtype)`,
      parseDtypeArgument,
    )
    .option('--vision-file <path>', 'repository path of the image tower, instead of --dtype (default onnx/vision_model.onnx)')
    .option('--text-file <path>', 'repository path of the text tower, instead of --dtype (default onnx/text_model.onnx)')
    .option('--dir <dir>', 'models directory', MODELS_DIR)
    .action(async (name: string, options: PullOptions) => {
      const result = await pullModel({
        name,
        modelsDir: options.dir,
        repo: options.repo,
        revision: options.revision,
        force: options.force,
        sha256: options.sha256,
        token: process.env.HF_TOKEN || undefined,
        dtype: options.dtype,
        remoteFiles: { vision: options.visionFile, text: options.textFile },
        onProgress: progressReporter(process.stderr),
        onLog: (line) => process.stderr.write(`${line}\n`),
      });
      const { manifest } = result;
      console.log(
        `pulled ${modelId(manifest)} into ${result.dir}: dimension ${manifest.embeddingDimension}, image ${manifest.image.size}px, text ${manifest.text.contextLength} tokens`,
      );
      console.log(`use it with MODEL_DIR=${result.dir}`);
    });

  models
    .command('calibrate')
    .description(
      "measure a model's text and photo score cut-offs on a generated catalog (catalog queries vs nonsense, product photos vs unrelated ones) and write them into its model.json",
    )
    .option('--model-dir <dir>', 'the model directory (default: MODEL_DIR, else the bundled model)', process.env.MODEL_DIR || BUNDLED_MODEL_DIR)
    .option('--products <n>', 'products in the generated catalog', integerArg('--products', MIN_EVAL_COUNT, 100_000), DEFAULT_CALIBRATION_PRODUCTS)
    .option('--seed <n>', 'seed of the generated catalog', integerArg('--seed', 0, 2 ** 31), DEFAULT_CALIBRATION_SEED)
    .option('--dry-run', 'print the cut-offs without writing model.json')
    .option('--json', 'print the whole report as JSON')
    .action(async (options: CalibrateOptions) => {
      const modelDir = path.resolve(options.modelDir);
      const report = await calibrateModel({
        modelDir,
        products: options.products,
        seed: options.seed,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      if (options.json) console.log(JSON.stringify(report, null, 2));
      else {
        console.log(`${report.modelId} on ${report.products} generated products (seed ${report.seed}):`);
        console.log(`  ${describeThreshold('text queries', 'textSearchScoreThreshold', report.text)}`);
        console.log(`  ${describeThreshold('photos', 'imageSearchScoreThreshold', report.image)}`);
      }
      if (options.dryRun) return;
      const manifestPath = writeCalibratedThresholds(modelDir, report);
      process.stderr.write(`wrote both cut-offs to ${manifestPath}; an embedder serving this model picks them up when it restarts\n`);
    });
}
