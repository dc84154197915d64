import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import {
  DEFAULT_EVAL_COUNT,
  DEFAULT_EVAL_SEED,
  EVAL_SEARCH_MODES,
  HYBRID_QUERY_TYPES,
  HYBRID_QUERY_TYPE_LABELS,
  MIN_EVAL_COUNT,
  evaluateHybridSearch,
  evaluateModel,
  evaluateDescriber,
  evaluateTagging,
  type DescriberEvalReport,
  type DescriberScores,
  type HybridSearchReport,
  type TaggingEvalReport,
} from '@vsearch/model-tools';
import { DescriberClient } from '@vsearch/grpc-clients';
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
  describe?: boolean;
  describerAddr: string;
}

function percent(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}

/** The per-type table of hybrid search: recall@10, precision@10 and MRR for each mode, numbers under their headers. */
function hybridTable(report: HybridSearchReport): string[] {
  const block = (first: string, recall: string, precision: string, mrr: string) =>
    `  ${first.padEnd(8)}${recall.padStart(7)}${precision.padStart(7)}${mrr.padStart(7)}`;
  const lines = [
    `hybrid search (embedded store; vector cut-off ${report.textScoreThreshold} from the model; R@10 recall, P@10 precision out of min(10, relevant), MRR over the top 100)`,
    `${'query type'.padEnd(22)}${'queries'.padStart(8)}${'relevant'.padStart(9)}${EVAL_SEARCH_MODES.map((mode) => block(`${mode}:`, 'R@10', 'P@10', 'MRR')).join('')}`,
  ];
  for (const type of HYBRID_QUERY_TYPES) {
    const row = report.types[type];
    const modes = EVAL_SEARCH_MODES.map((mode) => block('', percent(row[mode].recallAt10), percent(row[mode].precisionAt10), row[mode].mrr.toFixed(3))).join(
      '',
    );
    lines.push(`${HYBRID_QUERY_TYPE_LABELS[type].padEnd(22)}${String(row.queries).padStart(8)}${row.meanRelevant.toFixed(1).padStart(9)}${modes}`);
  }
  return lines;
}

/** Zero-shot tagging per attribute: accuracy, coverage and precision at the threshold, calibration; held-out combinations apart. */
function taggingTable(report: TaggingEvalReport): string[] {
  const row = (name: string, figures: TaggingEvalReport['attributes']['colour']) =>
    `  ${name.padEnd(22)}${percent(figures.accuracy).padStart(9)}${percent(figures.coverage).padStart(9)}${percent(figures.precision).padStart(10)}${figures.expectedCalibrationError.toFixed(3).padStart(7)}`;
  return [
    `zero-shot tagging (threshold ${report.threshold}, a product's two renders aggregated by ${report.aggregation}; accuracy of the top label, coverage and precision of tags applied at the threshold, ECE)`,
    `  ${'attribute'.padEnd(22)}${'accuracy'.padStart(9)}${'coverage'.padStart(9)}${'precision'.padStart(10)}${'ECE'.padStart(7)}`,
    ...Object.entries(report.attributes).map(([name, figures]) => row(name, figures)),
    row(`colour, held-out (${report.heldOut.products})`, report.heldOut.colour),
    row(`pattern, held-out (${report.heldOut.products})`, report.heldOut.pattern),
    `  accuracy by aggregation: ${Object.entries(report.aggregations)
      .map(([name, figures]) => `${name} ${Object.values(figures).map(percent).join('/')}`)
      .join(', ')} (category/colour/pattern)`,
    `  precision/coverage by threshold: ${report.thresholds.map((entry) => `${entry.threshold} ${percent(entry.precision)}/${percent(entry.coverage)}`).join(', ')}`,
  ];
}

/** The describer's figures for one group of products (seen or held-out colour × pattern combinations). */
function describerLines(name: string, scores: DescriberScores): string[] {
  const { describe, qa } = scores;
  return [
    `${name} (${scores.products} products)`,
    `  descriptions  category ${percent(describe.categoryAccuracy)}, colour ${percent(describe.colourAccuracy)}, pattern ${percent(describe.patternAccuracy)}, all three ${percent(describe.allThreeAccuracy)}; hallucination ${percent(describe.hallucinationRate)}; BLEU-4 ${describe.bleu4.toFixed(3)}, CIDEr ${describe.cider.toFixed(3)}`,
    `  questions     ${Object.entries(qa)
      .map(([kind, figures]) => `${kind} ${percent(figures.accuracy)} (${figures.count})`)
      .join(', ')}`,
    `  can't tell    ${percent(scores.cantTellRate)} of unanswerable questions; ${percent(scores.answerableRefusedRate)} of answerable ones refused`,
  ];
}

function describerReport(report: DescriberEvalReport): string {
  return [
    `describer ${report.model}, evaluation seed ${report.seed}, ${report.count} products (floors: attribute accuracy and QA accuracy ≥ 90%, hallucination ≤ 5%, can't tell ≥ 95%)`,
    ...describerLines('seen colour × pattern combinations', report.seen),
    ...describerLines('held-out colour × pattern combinations', report.heldOut),
    `(${report.seconds.toFixed(1)} s)`,
  ].join('\n');
}

/** `vsearch eval --describe`: the describer as served, over its gRPC service. */
async function evaluateServedDescriber(options: EvalOptions): Promise<void> {
  const client = new DescriberClient({ address: options.describerAddr, defaultDeadlineMs: 120_000 });
  try {
    await client.waitForReady(30_000);
    const report = await evaluateDescriber({
      describer: {
        info: () => client.info(),
        describe: async (images) => (await client.describe(images)).descriptions.map((generation) => generation.text),
        ask: async (image, question) => (await client.ask(image, question)).answer.text,
      },
      seed: options.seed,
      count: options.count,
      onProgress: options.json ? undefined : (message) => process.stderr.write(`${message}\n`),
    });
    console.log(options.json ? JSON.stringify(report) : describerReport(report));
  } finally {
    client.close();
  }
}

/** Why the figures do not carry over to a shop's catalog. */
const SYNTHETIC_NOTE =
  'note: the evaluation catalog is synthetic, and the bundled model (clip-mini) is small and trained on this same synthetic catalog: the figures show how the pipeline ranks, not how a general CLIP model does on real products';

/** `vsearch eval`: retrieval quality of a model on a generated evaluation catalog (never a training seed). */
export function registerCommand(program: Command): void {
  program
    .command('eval')
    .description('measure retrieval quality of a model directory on a generated evaluation catalog')
    .option('--model <dir>', 'model directory (model.json, vision.onnx, text.onnx, tokenizer.json)', BUNDLED_MODEL_DIR)
    .option('--seed <n>', 'evaluation catalog seed', integer('--seed', -(2 ** 31), 2 ** 31), DEFAULT_EVAL_SEED)
    .option('--count <n>', 'products in the evaluation catalog', integer('--count', MIN_EVAL_COUNT, 1_000_000), DEFAULT_EVAL_COUNT)
    .option('--json', 'print one JSON object and nothing else on stdout')
    .option(
      '--describe',
      'evaluate the describer model instead, as served at --describer-addr: descriptions (attribute accuracy, hallucination, BLEU-4, CIDEr) and answers per question type, seen and held-out colour × pattern combinations apart',
    )
    .option('--describer-addr <host:port>', 'the describer gRPC service (the embedder process), for --describe', '127.0.0.1:50051')
    .action(async (options: EvalOptions) => {
      if (options.describe) {
        await evaluateServedDescriber(options);
        return;
      }
      const onProgress = options.json ? undefined : (message: string) => process.stderr.write(`${message}\n`);
      // Both evaluations share one runtime and one embedded catalog: the images are rendered and embedded once.
      const runtime = await ModelRuntime.load(path.resolve(options.model), { executionProviders: ['cpu'] });
      try {
        const { report, details, catalog } = await evaluateModel({ runtime, seed: options.seed, count: options.count, onProgress });
        const hybrid = await evaluateHybridSearch({ runtime, catalog, onProgress });
        const tagging = await evaluateTagging({ runtime, catalog });
        if (options.json) {
          console.log(JSON.stringify({ ...report, hybridSearch: hybrid.report, tagging }));
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
            '',
            ...hybridTable(hybrid.report),
            '',
            ...taggingTable(tagging),
            '',
            SYNTHETIC_NOTE,
            `(${details.seconds.catalog.toFixed(1)} s rendering and preprocessing, ${details.seconds.embed.toFixed(1)} s embedding, ` +
              `${hybrid.details.seconds.index.toFixed(1)} s indexing and ${hybrid.details.seconds.search.toFixed(1)} s searching ${hybrid.details.queries} queries × ${EVAL_SEARCH_MODES.length} modes, ` +
              `${(details.seconds.total + hybrid.details.seconds.total).toFixed(1)} s in all)`,
          ].join('\n'),
        );
      } finally {
        await runtime.close();
      }
    });
}
