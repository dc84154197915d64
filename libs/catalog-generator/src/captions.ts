/**
 * Training captions: several templates and synonyms per product so the text
 * tower learns that "tee", "t-shirt" and "t shirt" (or "plaid" and "checked")
 * mean the same thing.
 */
import type { Rng } from './rng';
import { productTitle, type ProductSpec } from './spec';
import { CATEGORY_INFO, COLOUR_INFO, PATTERN_INFO } from './vocab';

interface CaptionWords {
  category: string;
  colour: string;
  pattern: string;
  patternNoun: string;
  brand: string;
  title: string;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** "a red striped tee"; solid products often leave the pattern out ("a red tee"). */
function described(words: CaptionWords, solid: boolean, rng: Rng, patternFirst = false): string {
  const phrase =
    solid && rng.chance(0.5)
      ? `${words.colour} ${words.category}`
      : patternFirst
        ? `${words.pattern} ${words.colour} ${words.category}`
        : `${words.colour} ${words.pattern} ${words.category}`;
  return `${article(phrase)} ${phrase}`;
}

const TEMPLATES: readonly ((words: CaptionWords, solid: boolean, rng: Rng) => string)[] = [
  (w, solid, rng) => described(w, solid, rng),
  (w, solid, rng) => `photo of ${described(w, solid, rng)}`,
  (w, solid, rng) => `a photo of ${described(w, solid, rng, true)}`,
  (w, solid) => (solid ? `${w.brand} ${w.category} in plain ${w.colour}` : `${w.brand} ${w.category} in ${w.colour} with ${w.pattern} print`),
  (w) => `${w.colour} ${w.category} with ${w.patternNoun}`,
  (w, solid, rng) => `product shot of ${described(w, solid, rng)}`,
  (w) => `${w.category}, ${w.colour}, ${w.pattern}`,
  (w, solid, rng) => `${w.brand} ${described(w, solid, rng).replace(/^an? /, '')}`,
  (w) => w.title,
];

function wordsFor(spec: ProductSpec, rng: Rng): CaptionWords {
  return {
    category: rng.pick(CATEGORY_INFO[spec.category].synonyms),
    colour: rng.pick(COLOUR_INFO[spec.colour].synonyms),
    pattern: rng.pick(PATTERN_INFO[spec.pattern].adjectives),
    patternNoun: rng.pick(PATTERN_INFO[spec.pattern].nouns),
    brand: spec.brand,
    title: productTitle(spec),
  };
}

/** `count` distinct captions (lower-case except brand and title), each with freshly drawn synonyms. */
export function captionsFor(spec: ProductSpec, rng: Rng, count = 5): string[] {
  const captions = new Set<string>();
  const solid = spec.pattern === 'solid';
  for (let attempt = 0; captions.size < count && attempt < count * 10; attempt++) {
    const template = rng.pick(TEMPLATES);
    captions.add(template(wordsFor(spec, rng), solid, rng));
  }
  return [...captions];
}
