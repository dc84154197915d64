/**
 * The text queries of the hybrid-search evaluation: seven kinds of query a shopper types,
 * generated from the evaluation catalog deterministically from its seed, each with the set of
 * products that answer it, derived from the products' catalog data (never from a ranking).
 */
import { CATEGORY_INFO, createRng, type Category, type Colour, type Rng } from '@vsearch/catalog-generator';
import { EVAL_PROMPTS, shuffled, type EvalCatalogPlan, type EvalProduct } from './eval-catalog';

export const HYBRID_QUERY_TYPES = ['exactTitle', 'brandCategory', 'brand', 'modelCategory', 'typoCategory', 'synonym', 'attributes'] as const;
export type HybridQueryType = (typeof HYBRID_QUERY_TYPES)[number];

/** What each query type asks, as `vsearch eval` labels it. */
export const HYBRID_QUERY_TYPE_LABELS: Readonly<Record<HybridQueryType, string>> = Object.freeze({
  exactTitle: 'exact title',
  brandCategory: 'brand + category',
  brand: 'brand alone',
  modelCategory: 'model name + category',
  typoCategory: 'one-typo category',
  synonym: 'synonym / paraphrase',
  attributes: 'attribute prompt',
});

export interface HybridEvalQuery {
  type: HybridQueryType;
  text: string;
  /** Indices into the plan's products that answer the query (never empty). */
  relevant: ReadonlySet<number>;
}

/** Queries generated at most per type (brand alone and attribute prompts have fewer by nature). */
export const MAX_QUERIES_PER_TYPE = 60;

/**
 * Words a shopper may use for a colour or a category that no product text contains, so only
 * the model can connect them. Some of them the model met in its training captions
 * (`scarlet`, `turquoise`, `cobalt`, `violet`, `gray`, `tee`, `frock`, `trainers`, `purse`,
 * `rucksack`, `hat`, `wristwatch`, `cup`, `seat`: see CATEGORY_INFO / COLOUR_INFO synonyms);
 * the others (`crimson`, `navy`, `top`, `denim`, ...) it never saw, as a real shopper's words.
 */
export const PARAPHRASE_COLOURS: Readonly<Record<Colour, readonly string[]>> = Object.freeze({
  red: ['crimson', 'scarlet'],
  orange: ['tangerine'],
  yellow: ['mustard', 'lemon'],
  green: ['emerald'],
  teal: ['turquoise', 'aqua'],
  blue: ['navy', 'cobalt'],
  purple: ['violet', 'plum'],
  pink: ['rose'],
  brown: ['chocolate'],
  black: ['ebony'],
  white: ['ivory'],
  grey: ['gray', 'slate'],
});
export const PARAPHRASE_CATEGORIES: Readonly<Record<Category, readonly string[]>> = Object.freeze({
  't-shirt': ['top', 'tee'],
  dress: ['frock', 'gown'],
  jeans: ['denim'],
  sneaker: ['trainers', 'running shoes'],
  boot: ['boots'],
  handbag: ['purse', 'tote'],
  backpack: ['rucksack', 'daypack'],
  cap: ['hat'],
  watch: ['wristwatch', 'timepiece'],
  mug: ['cup'],
  lamp: ['light'],
  chair: ['seat'],
});

/** The edits of one typo: two neighbouring letters swapped, one letter dropped, one letter inserted. */
export const TYPO_EDITS = ['swap', 'drop', 'insert'] as const;
export type TypoEdit = (typeof TYPO_EDITS)[number];
/** Shortest category word given a typo; shorter words ("cap", "mug") have too many real neighbours. */
export const MIN_TYPO_WORD_LENGTH = 5;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** How a category is typed: its canonical caption word ("t-shirt", "backpack"). */
function categoryWord(category: Category): string {
  return CATEGORY_INFO[category].synonyms[0];
}

/** "a crimson top", "an ivory seat". */
function withArticle(phrase: string): string {
  return `${/^[aeiou]/.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

/**
 * `word` with one real edit, never at the first letter (shoppers rarely miss it) and never
 * giving back `word` itself: a swap only of two different neighbouring letters.
 */
export function typoOf(word: string, edit: TypoEdit, rng: Rng): string {
  if (!/^[a-z]+$/.test(word) || word.length < MIN_TYPO_WORD_LENGTH) {
    throw new RangeError(`a typo needs a word of at least ${MIN_TYPO_WORD_LENGTH} lower-case letters, got "${word}"`);
  }
  if (edit === 'drop') {
    const at = rng.int(1, word.length - 1);
    return word.slice(0, at) + word.slice(at + 1);
  }
  if (edit === 'insert') {
    const at = rng.int(1, word.length);
    return word.slice(0, at) + rng.pick([...LETTERS]) + word.slice(at);
  }
  const swappable = Array.from({ length: word.length - 2 }, (_, i) => i + 1).filter((i) => word[i] !== word[i + 1]);
  if (swappable.length === 0) throw new RangeError(`"${word}" has no two different neighbouring letters to swap`);
  const at = rng.pick(swappable);
  return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
}

/** Product indices grouped by a key, in catalog order. */
function groupBy(products: readonly EvalProduct[], keyOf: (product: EvalProduct) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  products.forEach((product, index) => {
    const key = keyOf(product);
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  });
  return groups;
}

/**
 * Queries from a group of products sharing a key: up to MAX_QUERIES_PER_TYPE groups, drawn at
 * random (the seed decides), each asked once, its whole group relevant.
 */
function groupQueries(
  type: HybridQueryType,
  groups: Map<string, number[]>,
  textOf: (first: EvalProduct) => string,
  plan: EvalCatalogPlan,
  rng: Rng,
): HybridEvalQuery[] {
  const keys = shuffled([...groups.keys()], rng).slice(0, MAX_QUERIES_PER_TYPE);
  return keys.map((key) => {
    const members = groups.get(key) ?? [];
    return { type, text: textOf(plan.products[members[0]]), relevant: new Set(members) };
  });
}

/** Every query of every type for a planned evaluation catalog; the same plan always gives the same queries. */
export function generateHybridQueries(plan: EvalCatalogPlan): HybridEvalQuery[] {
  const rng = createRng(`vsearch-eval-hybrid:${plan.seed}`);
  const { products } = plan;
  const queries: HybridEvalQuery[] = [];

  // Titles may repeat in a large catalog: every product with the title is relevant.
  queries.push(
    ...groupQueries(
      'exactTitle',
      groupBy(products, (p) => p.title),
      (p) => p.title,
      plan,
      rng.fork('exactTitle'),
    ),
  );
  queries.push(
    ...groupQueries(
      'brandCategory',
      groupBy(products, (p) => `${p.spec.brand}|${p.spec.category}`),
      (p) => `${p.spec.brand} ${categoryWord(p.spec.category)}`,
      plan,
      rng.fork('brandCategory'),
    ),
  );
  queries.push(
    ...groupQueries(
      'brand',
      groupBy(products, (p) => p.spec.brand),
      (p) => p.spec.brand,
      plan,
      rng.fork('brand'),
    ),
  );
  queries.push(
    ...groupQueries(
      'modelCategory',
      groupBy(products, (p) => `${p.spec.modelWord}|${p.spec.category}`),
      (p) => `${p.spec.modelWord} ${categoryWord(p.spec.category)}`,
      plan,
      rng.fork('modelCategory'),
    ),
  );

  // One query per typo edit for each category typed as one word of 5+ letters ("t-shirt" is a compound: an edit could hit the hyphen).
  const typoRng = rng.fork('typoCategory');
  for (const [category, members] of groupBy(products, (p) => p.spec.category)) {
    const word = categoryWord(category as Category);
    if (!/^[a-z]+$/.test(word) || word.length < MIN_TYPO_WORD_LENGTH) continue;
    for (const edit of TYPO_EDITS) queries.push({ type: 'typoCategory', text: typoOf(word, edit, typoRng), relevant: new Set(members) });
  }

  // "a crimson top": every product of that colour and category, whatever its pattern.
  const synonymRng = rng.fork('synonym');
  queries.push(
    ...groupQueries(
      'synonym',
      groupBy(products, (p) => `${p.spec.colour}|${p.spec.category}`),
      (p) => withArticle(`${synonymRng.pick(PARAPHRASE_COLOURS[p.spec.colour])} ${synonymRng.pick(PARAPHRASE_CATEGORIES[p.spec.category])}`),
      plan,
      synonymRng,
    ),
  );

  for (const attributes of [...plan.seenQueries, ...plan.heldOutQueries]) {
    const members = products.flatMap((p, index) =>
      p.spec.category === attributes.category && p.spec.colour === attributes.colour && p.spec.pattern === attributes.pattern ? [index] : [],
    );
    queries.push({ type: 'attributes', text: EVAL_PROMPTS.attributes(attributes), relevant: new Set(members) });
  }
  return queries;
}
