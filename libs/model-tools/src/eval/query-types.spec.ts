import { CATEGORIES, CATEGORY_INFO, COLOURS, createRng } from '@vsearch/catalog-generator';
import { planEvalCatalog } from './eval-catalog';
import {
  HYBRID_QUERY_TYPES,
  MAX_QUERIES_PER_TYPE,
  PARAPHRASE_CATEGORIES,
  PARAPHRASE_COLOURS,
  TYPO_EDITS,
  generateHybridQueries,
  typoOf,
  type HybridEvalQuery,
} from './query-types';

/** Levenshtein distance with adjacent transposition counted as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

describe(generateHybridQueries.name, () => {
  const plan = planEvalCatalog(7, 400);
  const queries = generateHybridQueries(plan);
  const ofType = (type: HybridEvalQuery['type']) => queries.filter((q) => q.type === type);

  it('generates every query type, at most MAX_QUERIES_PER_TYPE of each, none without a relevant product', () => {
    for (const type of HYBRID_QUERY_TYPES) {
      expect(ofType(type).length).toBeGreaterThan(0);
      expect(ofType(type).length).toBeLessThanOrEqual(MAX_QUERIES_PER_TYPE);
    }
    expect(queries.every((q) => q.relevant.size > 0)).toBe(true);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const texts = (seed: number) => generateHybridQueries(planEvalCatalog(seed, 400)).map((q) => `${q.type}:${q.text}:${[...q.relevant].join()}`);
    expect(texts(7)).toEqual(queries.map((q) => `${q.type}:${q.text}:${[...q.relevant].join()}`));
    expect(texts(8)).not.toEqual(texts(7));
  });

  it('makes an exact title relevant to every product carrying it', () => {
    for (const query of ofType('exactTitle')) {
      expect([...query.relevant].map((i) => plan.products[i].title)).toEqual(Array(query.relevant.size).fill(query.text));
      expect(plan.products.filter((p) => p.title === query.text)).toHaveLength(query.relevant.size);
    }
  });

  it('makes "brand category" relevant to exactly the brand\'s products of that category ("Nimbus backpack")', () => {
    for (const query of ofType('brandCategory')) {
      const [first] = [...query.relevant].map((i) => plan.products[i].spec);
      expect(query.text).toBe(`${first.brand} ${CATEGORY_INFO[first.category].synonyms[0]}`);
      const expected = plan.products.flatMap((p, i) => (p.spec.brand === first.brand && p.spec.category === first.category ? [i] : []));
      expect([...query.relevant]).toEqual(expected);
    }
  });

  it('makes a brand alone relevant to all its products, and "model category" to that model word in that category', () => {
    for (const query of ofType('brand')) expect([...query.relevant]).toEqual(plan.products.flatMap((p, i) => (p.spec.brand === query.text ? [i] : [])));
    for (const query of ofType('modelCategory')) {
      const [model, category] = query.text.split(' ');
      expect([...query.relevant]).toEqual(
        plan.products.flatMap((p, i) => (p.spec.modelWord === model && CATEGORY_INFO[p.spec.category].synonyms[0] === category ? [i] : [])),
      );
    }
  });

  it('misspells a one-word category of 5+ letters by exactly one edit, each edit kind once, all of the category relevant', () => {
    const typos = ofType('typoCategory');
    const categories = CATEGORIES.filter((c) => /^[a-z]{5,}$/.test(c));
    expect(typos).toHaveLength(categories.length * TYPO_EDITS.length);
    for (const query of typos) {
      const category = categories.find((c) => editDistance(c, query.text) === 1);
      expect(category).toBeDefined();
      expect(query.text).not.toBe(category);
      expect([...query.relevant]).toEqual(plan.products.flatMap((p, i) => (p.spec.category === category ? [i] : [])));
    }
  });

  it('asks a paraphrase ("a crimson top") for every product of that colour and category, whatever the pattern', () => {
    for (const query of ofType('synonym')) {
      const [, colourWord, ...categoryWords] = query.text.split(' ');
      const colour = COLOURS.find((c) => PARAPHRASE_COLOURS[c].includes(colourWord));
      const category = CATEGORIES.find((c) => PARAPHRASE_CATEGORIES[c].includes(categoryWords.join(' ')));
      expect([...query.relevant]).toEqual(plan.products.flatMap((p, i) => (p.spec.colour === colour && p.spec.category === category ? [i] : [])));
    }
  });

  it('asks every planned attribute combination with the training prompt, its 10+ products relevant', () => {
    const attributes = ofType('attributes');
    expect(attributes).toHaveLength(plan.seenQueries.length + plan.heldOutQueries.length);
    expect(attributes.every((q) => q.relevant.size >= 10 && /^a \w+ \w+ [\w-]+$/.test(q.text))).toBe(true);
  });
});

describe(typoOf.name, () => {
  it('makes one real edit after the first letter', () => {
    const rng = createRng('typo-test');
    for (let i = 0; i < 200; i++) {
      for (const edit of TYPO_EDITS) {
        const typo = typoOf('backpack', edit, rng);
        expect(editDistance('backpack', typo)).toBe(1);
        expect(typo[0]).toBe('b');
        expect(typo.length).toBe(edit === 'drop' ? 7 : edit === 'insert' ? 9 : 8);
      }
    }
  });

  it('refuses words too short or not plain letters', () => {
    expect(() => typoOf('mug', 'swap', createRng(1))).toThrow(/at least 5 lower-case letters, got "mug"/);
    expect(() => typoOf('t-shirt', 'drop', createRng(1))).toThrow(RangeError);
  });
});
