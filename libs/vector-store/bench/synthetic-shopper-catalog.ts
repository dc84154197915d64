/**
 * The synthetic shopper catalog the keyword and hybrid benchmarks share: @vsearch/catalog-generator
 * products plus what a real catalog has and the generator lacks (a model code per product, a Zipf
 * long tail of description words), and sets of queries shoppers type against it.
 */
import { CATEGORY_INFO, COLOUR_INFO, PATTERN_INFO, createRng, productDescription, productTitle, sampleProductSpec, type Rng } from '@vsearch/catalog-generator';
import type { LexicalProductText } from '../src/lexical/lexical-fields';

export interface BenchProduct {
  productId: string;
  text: LexicalProductText;
  /** Words a shopper could type: the brand, the model word, the rare description words. */
  brand: string;
  modelWord: string;
  modelCode: string;
  rareWords: string[];
}

/** Pronounceable made-up words ("tavorin", "kelumo"), distinct, deterministic. */
function syntheticVocabulary(rng: Rng, size: number): string[] {
  const onsets = ['b', 'c', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'cl', 'dr', 'st', 'tr'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
  const words = new Set<string>();
  while (words.size < size) {
    let word = '';
    for (let syllable = rng.int(2, 4); syllable > 0; syllable--) word += rng.pick(onsets) + rng.pick(vowels);
    if (rng.chance(0.4)) word += rng.pick(['n', 'r', 's', 'l', 'x']);
    words.add(word);
  }
  return [...words];
}

/** Samples ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s. */
function zipfSampler(rng: Rng, n: number, s: number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) cumulative[rank] = total += 1 / (rank + 1) ** s;
  return () => {
    const target = rng.next() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

export function syntheticCatalog(options: { products: number; seed: number }): { products: BenchProduct[]; vocabulary: string[] } {
  const rng = createRng(`lexical-bench:${options.seed}`);
  const vocabulary = syntheticVocabulary(rng.fork('vocabulary'), 30_000);
  const zipf = zipfSampler(rng.fork('zipf'), vocabulary.length, 1.07);
  const products: BenchProduct[] = [];
  for (let i = 0; i < options.products; i++) {
    const productRng = rng.fork(i);
    const spec = sampleProductSpec(productRng);
    const letters = 'ABCDEFGHJKLMNPRSTVXZ';
    const modelCode = `${productRng.pick([...letters])}${productRng.pick([...letters])}-${productRng.int(100, 9999)}`;
    const rareWords = Array.from({ length: productRng.int(8, 20) }, () => vocabulary[zipf()]);
    products.push({
      productId: `p${String(i).padStart(7, '0')}`,
      text: {
        title: `${productTitle(spec)} ${modelCode}`,
        brand: spec.brand,
        description: `${productDescription(spec)} ${rareWords.join(' ')}.`,
        categories: [spec.department, CATEGORY_INFO[spec.category].label],
        attributes: { colour: COLOUR_INFO[spec.colour].label, pattern: PATTERN_INFO[spec.pattern].label },
      },
      brand: spec.brand,
      modelWord: spec.modelWord,
      modelCode,
      rareWords,
    });
  }
  return { products, vocabulary };
}

/** Two adjacent inner letters swapped ("backpack" → "bakcpack"): two edits, as shoppers make them. */
function withTransposition(rng: Rng, word: string): string {
  const at = rng.int(1, word.length - 3);
  return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
}

export interface QuerySet {
  name: string;
  what: string;
  queries: string[];
  prefixLastTerm?: boolean;
}

/** `count` queries of each kind; another `draw` picks other products (and other typos) for them. */
export function querySets(products: BenchProduct[], count: number, draw = 0): QuerySet[] {
  const rng = createRng(draw === 0 ? 'lexical-bench:queries' : `lexical-bench:queries:${draw}`);
  const some = <T>(make: (product: BenchProduct) => T) => Array.from({ length: count }, () => make(rng.pick(products)));
  const longRare = (product: BenchProduct) => product.rareWords.find((word) => word.length >= 8) ?? product.rareWords[0];
  return [
    { name: 'brand + model', what: '"Northwind Aurora": two frequent words', queries: some((p) => `${p.brand} ${p.modelWord}`) },
    { name: 'model code', what: '"KX-4821": one rare compound', queries: some((p) => p.modelCode) },
    { name: 'full title', what: 'a whole title, 6-8 words', queries: some((p) => p.text.title) },
    { name: 'category label', what: '"Mug", "T-Shirt": long posting lists', queries: some((p) => String(p.text.categories[1])) },
    { name: 'typo (2 edits)', what: 'a rare word of 8+ letters with two letters swapped', queries: some((p) => withTransposition(rng, longRare(p))) },
    { name: 'rare word + typo', what: 'brand and a rare word with a swap', queries: some((p) => `${p.brand} ${withTransposition(rng, longRare(p))}`) },
    { name: 'prefix (4 letters)', what: 'the first 4 letters of a rare word, prefix on', queries: some((p) => longRare(p).slice(0, 4)), prefixLastTerm: true },
    { name: 'pasted description', what: 'a whole description, ~25-35 words (64-term cap)', queries: some((p) => p.text.description) },
  ];
}

/**
 * Four products on which the side-by-side benches check what each engine finds (typos, prefixes,
 * every word across fields, compounds, model codes, accents, plurals).
 */
export function capabilityProducts(): Array<{ id: string; text: LexicalProductText }> {
  const product = (id: string, title: string, brand: string, categories: string[], colour: string, description: string) => ({
    id,
    text: { title, brand, categories, attributes: { colour }, description } satisfies LexicalProductText,
  });
  return [
    product('backpack', 'Red Backpack KX-4821', 'Northwind', ['Bags', 'Rucksacks'], 'Red', 'A crème coloured daypack for hiking.'),
    product('mug', 'Blue Mug', 'Sierra', ['Kitchen', 'Mugs'], 'Blue', 'A red mug, sold with a backpack strap.'),
    product('tshirt', 'Striped T-Shirt', 'Northwind', ['Clothing', 'Tops'], 'White', 'Cotton, slim fit.'),
    product('lamp', 'Halcyon Lamp', 'Halcyon', ['Home', 'Lighting'], 'Black', 'Desk light.'),
  ];
}
