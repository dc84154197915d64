/**
 * `vsearch eval --describe`: the describer model as served (over its gRPC service) on the evaluation
 * catalog (an evaluation-only seed stream, never a training catalog): descriptions scored for
 * attribute accuracy, hallucination, BLEU-4 and CIDEr against the generator's reference captions,
 * and questions of each kind (colour, category, pattern, yes/no true and false in equal measure,
 * unanswerable, with made-up words) scored by `describer-metrics.ts`. Seen colour × pattern
 * combinations and the held-out ones are reported apart. The questions follow the templates the
 * model is trained on (training/describer/texts.py), drawn with the evaluation's own seed.
 */
import {
  CATEGORIES,
  CATEGORY_INFO,
  COLOURS,
  COLOUR_INFO,
  PATTERNS,
  PATTERN_INFO,
  captionsFor,
  createRng,
  productTitle,
  type ProductAttributes,
  type Rng,
} from '@vsearch/catalog-generator';
import { planEvalCatalog, type EvalProduct } from './eval-catalog';
import { mapPool, renderAndPreprocess } from './evaluate-model';
import { QUESTION_KINDS, bleu4, captionAttributeScores, cider, isAnswerCorrect, type CaptionAttributeScores, type QuestionKind } from './describer-metrics';

/** The describer as the evaluation calls it (DescriberClient in the CLI and the floor test). */
export interface DescriberUnderTest {
  info(): Promise<{ modelId: string; imageSize: number; cantTellAnswer: string }>;
  /** One description per image (uint8 RGB HWC of the model's size). */
  describe(images: readonly Uint8Array[]): Promise<string[]>;
  ask(image: Uint8Array, question: string): Promise<string>;
}

export interface DescriberEvalOptions {
  describer: DescriberUnderTest;
  seed: number;
  count: number;
  /** Calls in flight at once (the server batches them step by step). */
  concurrency?: number;
  onProgress?: (message: string) => void;
}

export interface DescriberScores {
  products: number;
  describe: CaptionAttributeScores & { bleu4: number; cider: number };
  /** Accuracy per question kind, with the number asked. */
  qa: Record<QuestionKind, { count: number; accuracy: number }>;
  /** Unanswerable questions and questions with made-up words answered with exactly the "can't tell" answer. */
  cantTellRate: number;
  /** Answerable questions answered "can't tell" (the other side of the can't-tell rate). */
  answerableRefusedRate: number;
}

export interface DescriberEvalReport {
  model: string;
  seed: number;
  count: number;
  seen: DescriberScores;
  heldOut: DescriberScores;
  seconds: number;
}

interface Question {
  kind: QuestionKind;
  question: string;
  expected: string;
}

const COLOUR_QUESTIONS = [
  'what colour is this product?',
  'what color is it?',
  'what colour is the {category}?',
  'which colour does this product have?',
  'what is the colour of this {category}?',
];
const CATEGORY_QUESTIONS = [
  'what is this?',
  'what kind of product is this?',
  'what is shown in the photo?',
  'what product is this?',
  'what type of item is in the picture?',
];
const PATTERN_QUESTIONS = ['what pattern does it have?', 'what is the pattern of this {category}?', 'which pattern is on it?'];
const YES_NO_COLOUR = ['is it {value}?', 'is this product {value}?', 'is the {category} {value}?'];
const YES_NO_CATEGORY = ['is this a {value}?', 'is it a {value}?', 'is the product a {value}?'];
const YES_NO_PATTERN = ['is it {value}?', 'is this {category} {value}?', 'does it have {noun}?'];
const UNANSWERABLE_QUESTIONS = [
  'how much does it cost?',
  'what is the price?',
  'how much is this {category}?',
  'is it on sale?',
  'what size is it?',
  'what size is this {category}?',
  'how big is it?',
  'how heavy is it?',
  'what is it made of?',
  'what material is this {category}?',
  'is it made of cotton?',
  'is it leather?',
  'what brand is this?',
  'who makes this {category}?',
  'which brand made it?',
  'is it in stock?',
  'when was it made?',
  'where was it made?',
  'is it waterproof?',
  'does it come with a warranty?',
];

function categoryAnswer(category: string): string {
  return category === 'jeans' ? 'jeans' : `${/^[aeiou]/.test(category) ? 'an' : 'a'} ${category}`;
}

function fill(template: string, product: ProductAttributes, rng: Rng): string {
  return template.replace('{category}', rng.pick(CATEGORY_INFO[product.category].synonyms));
}

/** A word no catalog text uses (random consonant-heavy letters), so the tokenizer gives [UNK]. */
function madeUpWord(rng: Rng): string {
  const length = rng.int(5, 9);
  return Array.from({ length }, (_, i) => rng.pick([...(i % 3 === 1 ? 'bcdfghjklmnpqrstvwxzaeiou' : 'bcdfghjklmnpqrstvwxz')])).join('');
}

/** One question of `kind` about `product` and its expected answer (texts.py `question_answer`). */
export function questionAbout(kind: QuestionKind, product: ProductAttributes, rng: Rng, cantTell: string, truth?: boolean): Question {
  switch (kind) {
    case 'colour':
      return { kind, question: fill(rng.pick(COLOUR_QUESTIONS), product, rng), expected: product.colour };
    case 'category':
      return { kind, question: rng.pick(CATEGORY_QUESTIONS), expected: categoryAnswer(product.category) };
    case 'pattern':
      return { kind, question: fill(rng.pick(PATTERN_QUESTIONS), product, rng), expected: product.pattern };
    case 'yes_no': {
      const isTrue = truth ?? rng.chance(0.5);
      const attribute = rng.pick(['colour', 'category', 'pattern'] as const);
      let question: string;
      if (attribute === 'colour') {
        const value = isTrue ? product.colour : rng.pick(COLOURS.filter((colour) => colour !== product.colour));
        question = fill(rng.pick(YES_NO_COLOUR), product, rng).replace('{value}', rng.pick(COLOUR_INFO[value].synonyms));
      } else if (attribute === 'category') {
        const value = isTrue ? product.category : rng.pick(CATEGORIES.filter((category) => category !== product.category));
        question = rng.pick(YES_NO_CATEGORY).replace('{value}', rng.pick(CATEGORY_INFO[value].synonyms));
      } else {
        const value = isTrue ? product.pattern : rng.pick(PATTERNS.filter((pattern) => pattern !== product.pattern));
        question = fill(rng.pick(YES_NO_PATTERN), product, rng)
          .replace('{value}', rng.pick(PATTERN_INFO[value].adjectives))
          .replace('{noun}', rng.pick(PATTERN_INFO[value].nouns));
      }
      return { kind, question, expected: isTrue ? 'yes' : 'no' };
    }
    case 'unanswerable':
      return { kind, question: fill(rng.pick(UNANSWERABLE_QUESTIONS), product, rng), expected: cantTell };
    case 'unknown_words': {
      const base = questionAbout(rng.pick(['colour', 'category', 'pattern', 'yes_no'] as const), product, rng, cantTell);
      const words = base.question.replace(/\?$/, '').split(' ');
      for (let k = rng.pick([1, 1, 2]); k > 0; k--) {
        const position = rng.int(0, words.length);
        if (rng.chance(0.5) && position < words.length) words[position] = madeUpWord(rng);
        else words.splice(position, 0, madeUpWord(rng));
      }
      return { kind, question: `${words.join(' ')}?`, expected: cantTell };
    }
  }
}

/** Per product: one question of each kind, and yes/no asked once true and once false. */
function questionsAbout(product: ProductAttributes, rng: Rng, cantTell: string): Question[] {
  return QUESTION_KINDS.flatMap((kind) =>
    kind === 'yes_no' ? [true, false].map((truth) => questionAbout(kind, product, rng, cantTell, truth)) : [questionAbout(kind, product, rng, cantTell)],
  );
}

/** The generator's captions that describe only what the photo shows (no brand, not the title), as training uses them. */
function referenceCaptions(product: EvalProduct, rng: Rng): string[] {
  const title = productTitle(product.spec).toLowerCase();
  const brand = product.spec.brand.toLowerCase();
  const captions = captionsFor(product.spec, rng);
  const usable = captions.filter((caption) => caption.toLowerCase() !== title && !caption.toLowerCase().includes(brand));
  return usable.length > 0 ? usable : captions;
}

export async function evaluateDescriber({ describer, seed, count, concurrency = 16, onProgress }: DescriberEvalOptions): Promise<DescriberEvalReport> {
  const started = performance.now();
  const info = await describer.info();
  const plan = planEvalCatalog(seed, count);
  onProgress?.(`eval --describe: rendering and preprocessing ${plan.products.length} images (seed ${seed}) at ${info.imageSize} px`);
  const pixels = (await renderAndPreprocess(plan, info.imageSize, concurrency, [0])).map(([gallery]) => gallery);
  const rng = createRng(`vsearch-eval-describer:${seed}`);
  const products = plan.products.map((product, i) => ({
    product,
    pixels: pixels[i],
    references: referenceCaptions(product, rng.fork(`captions:${i}`)),
    questions: questionsAbout(product.spec, rng.fork(`questions:${i}`), info.cantTellAnswer),
  }));
  onProgress?.(
    `eval --describe: ${products.length} descriptions and ${products.reduce((sum, entry) => sum + entry.questions.length, 0)} questions to ${info.modelId}`,
  );
  const answered = await mapPool(products, concurrency, async (entry) => {
    const [description] = await describer.describe([entry.pixels]);
    const answers: string[] = [];
    for (const question of entry.questions) answers.push(await describer.ask(entry.pixels, question.question));
    return { ...entry, description, answers };
  });
  const score = (group: typeof answered): DescriberScores => {
    const attributes = group.map((entry) => entry.product.spec);
    const descriptions = group.map((entry) => entry.description);
    const references = group.map((entry) => entry.references);
    const qa = Object.fromEntries(QUESTION_KINDS.map((kind) => [kind, { count: 0, accuracy: 0 }])) as DescriberScores['qa'];
    let cantTold = 0;
    let cantTellAsked = 0;
    let refused = 0;
    let answerable = 0;
    for (const entry of group) {
      entry.questions.forEach((question, i) => {
        const answer = entry.answers[i];
        const right = isAnswerCorrect(question.kind, answer, question.expected, entry.product.spec, info.cantTellAnswer);
        qa[question.kind].count++;
        qa[question.kind].accuracy += right ? 1 : 0;
        if (question.kind === 'unanswerable' || question.kind === 'unknown_words') {
          cantTellAsked++;
          cantTold += right ? 1 : 0;
        } else {
          answerable++;
          refused += answer.trim() === info.cantTellAnswer ? 1 : 0;
        }
      });
    }
    for (const kind of QUESTION_KINDS) qa[kind].accuracy /= Math.max(1, qa[kind].count);
    return {
      products: group.length,
      describe: { ...captionAttributeScores(descriptions, attributes), bleu4: bleu4(descriptions, references), cider: cider(descriptions, references) },
      qa,
      cantTellRate: cantTold / Math.max(1, cantTellAsked),
      answerableRefusedRate: refused / Math.max(1, answerable),
    };
  };
  return {
    model: info.modelId,
    seed,
    count: plan.products.length,
    seen: score(answered.filter((entry) => !entry.product.heldOut)),
    heldOut: score(answered.filter((entry) => entry.product.heldOut)),
    seconds: (performance.now() - started) / 1000,
  };
}
