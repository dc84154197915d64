/**
 * The evaluation catalog: products drawn from the catalog generator with an
 * evaluation-only seed stream, laid out so every queried attribute combination
 * (seen in training, or held out from it) has at least `PRODUCTS_PER_QUERY`
 * products, plus random distractors. Each product gets two renders: the first
 * goes into the gallery, the second is the image→image query.
 */
import {
  CATEGORIES,
  COLOURS,
  HELD_OUT_COMBINATIONS,
  PATTERNS,
  createRng,
  isHeldOut,
  productTitle,
  renderProductImage,
  sampleProductSpec,
  type ProductAttributes,
  type ProductSpec,
  type Rng,
} from '@vsearch/catalog-generator';

/** Products per queried combination: precision@10 needs at least 10 relevant items. */
export const PRODUCTS_PER_QUERY = 10;
/** Share of the catalog given to held-out and to seen query combinations; the rest are random distractors. */
const HELD_OUT_SHARE = 0.15;
const SEEN_SHARE = 0.25;
export const MIN_EVAL_COUNT = 2 * PRODUCTS_PER_QUERY + 10;

export interface EvalProduct {
  spec: ProductSpec;
  title: string;
  heldOut: boolean;
  /** Render seeds: [gallery image, image→image query]. */
  renderSeeds: [string, string];
}

export interface EvalCatalogPlan {
  seed: number;
  products: EvalProduct[];
  seenQueries: ProductAttributes[];
  heldOutQueries: ProductAttributes[];
}

/** A seeded Fisher–Yates shuffle (a copy; `items` is left as it is). */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Every category × colour × pattern, split into held-out and seen combinations. */
function allCombinations(): { seen: ProductAttributes[]; heldOut: ProductAttributes[] } {
  const seen: ProductAttributes[] = [];
  const heldOut: ProductAttributes[] = [];
  for (const category of CATEGORIES) {
    for (const colour of COLOURS) {
      for (const pattern of PATTERNS) (isHeldOut({ colour, pattern }) ? heldOut : seen).push({ category, colour, pattern });
    }
  }
  if (heldOut.length !== CATEGORIES.length * HELD_OUT_COMBINATIONS.length) throw new Error('held-out combinations do not match the vocabulary');
  return { seen, heldOut };
}

/** Deterministic from (seed, count). The seed stream is evaluation-only (`vsearch-eval:`), never a training catalog's. */
export function planEvalCatalog(seed: number, count: number): EvalCatalogPlan {
  if (!Number.isInteger(count) || count < MIN_EVAL_COUNT)
    throw new RangeError(`the evaluation catalog needs at least ${MIN_EVAL_COUNT} products, got ${count}`);
  const rng = createRng(`vsearch-eval:${seed}`);
  const combos = allCombinations();
  const heldOutQueries = shuffled(combos.heldOut, rng).slice(0, Math.max(1, Math.floor((count * HELD_OUT_SHARE) / PRODUCTS_PER_QUERY)));
  const seenQueries = shuffled(combos.seen, rng).slice(0, Math.max(1, Math.floor((count * SEEN_SHARE) / PRODUCTS_PER_QUERY)));
  const specs: ProductSpec[] = [];
  for (const attributes of [...heldOutQueries, ...seenQueries]) {
    for (let i = 0; i < PRODUCTS_PER_QUERY; i++) specs.push(sampleProductSpec(rng.fork(`query:${specs.length}`), { ...attributes, heldOut: 'include' }));
  }
  while (specs.length < count) specs.push(sampleProductSpec(rng.fork(`distractor:${specs.length}`), { heldOut: 'include' }));
  const products = shuffled(specs, rng).map((spec, index) => ({
    spec,
    title: productTitle(spec),
    heldOut: isHeldOut(spec),
    renderSeeds: [`vsearch-eval:${seed}:${index}:1`, `vsearch-eval:${seed}:${index}:2`] as [string, string],
  }));
  return { seed, products, seenQueries, heldOutQueries };
}

/** Renders one product image (encoded bytes, as a shop would serve it). */
export async function renderEvalImage(product: EvalProduct, which: 0 | 1): Promise<Uint8Array> {
  return (await renderProductImage(product.spec, product.renderSeeds[which])).bytes;
}

/** The prompts of the evaluation (and of training, see training/vsearch_clip/data.py). */
export const EVAL_PROMPTS = {
  attributes: ({ category, colour, pattern }: ProductAttributes): string => `a ${colour} ${pattern} ${category}`,
  category: (category: string): string => `a photo of a ${category}`,
  colour: (colour: string): string => `a ${colour} product`,
};
