import MiniSearch, { type Query } from 'minisearch';
import { querySets, syntheticCatalog } from '../../bench/synthetic-shopper-catalog';
import { LEXICAL_FIELD_BOOSTS, LEXICAL_FIELD_NAMES, lexicalTextByField, type LexicalProductText } from './lexical-fields';
import { DEFAULT_FIELD_GROUPS, MiniSearchLexicalIndex, typoTolerance, typoTranspositions } from './minisearch.lexical-index';
import { analyzeQueryWords, analyzeText } from './tokenizer';

function product(overrides: Partial<LexicalProductText> = {}): LexicalProductText {
  return { title: '', brand: '', description: '', categories: [], attributes: {}, ...overrides };
}

/** A small catalog where each query below has one right answer. */
function catalog(): MiniSearchLexicalIndex {
  const index = new MiniSearchLexicalIndex();
  index.upsert(
    'tee',
    product({ title: 'Sierra T-Shirt', brand: 'Northwind', categories: ['apparel', 'tops'], attributes: { colour: 'navy' }, description: 'Soft cotton tee.' }),
  );
  index.upsert(
    'pack',
    product({ title: 'Trail Backpack 30L', brand: 'Alpina', categories: ['bags'], attributes: { colour: 'red' }, description: 'Roomy main compartment.' }),
  );
  index.upsert(
    'mug',
    product({ title: 'Dotted Mug', brand: 'Sierra Home', categories: ['home'], attributes: { colour: 'white' }, description: 'A mug for tea.' }),
  );
  index.upsert('crème', product({ title: 'Crème Brûlée Candle', brand: 'Maison', categories: ['home'], attributes: {}, description: 'Smells of vanilla.' }));
  index.upsert(
    'shoe',
    product({
      title: 'Runner Shoe',
      brand: 'Fleet',
      categories: ['footwear'],
      attributes: { colour: 'red' },
      description: 'A light shoe; a red shoe; the best shoe.',
    }),
  );
  return index;
}

const ids = (index: MiniSearchLexicalIndex, query: string, limit = 10, prefixLastTerm = false) =>
  index.search(query, { limit, prefixLastTerm }).map((hit) => hit.productId);

describe(MiniSearchLexicalIndex.name, () => {
  it('finds a product by brand and model name, the product itself first', () => {
    expect(ids(catalog(), 'Sierra t-shirt')[0]).toBe('tee');
  });

  it('finds "t-shirt" however it is spelled', () => {
    const index = catalog();
    for (const spelling of ['t-shirt', 'T Shirt', 'tshirt', 'TSHIRT']) expect(ids(index, spelling)).toEqual(['tee']);
  });

  it('finds a word without its accents and with them', () => {
    const index = catalog();
    expect(ids(index, 'creme brulee')).toEqual(['crème']);
    expect(ids(index, 'CRÈME')).toEqual(['crème']);
  });

  it('forgives two typos in a word of 8 letters or more', () => {
    expect(ids(catalog(), 'bakcpack')).toEqual(['pack']);
  });

  it('forgives one typo in a word of 5 to 7 letters, but not two', () => {
    const index = catalog();
    expect(ids(index, 'runer')).toEqual(['shoe']);
    expect(ids(index, 'rnuer')).toEqual([]);
  });

  it('forgives no typo in a word of fewer than 4 letters', () => {
    expect(ids(catalog(), 'mog')).toEqual([]);
  });

  it('matches a word the index holds as typed, and an unknown word by its typo neighbours', () => {
    const index = new MiniSearchLexicalIndex();
    index.upsert('exact', product({ title: 'Hiking boots' }));
    index.upsert('near', product({ title: 'Hikinr boots' })); // one edit from "hiking"
    index.upsert('far', product({ title: 'Hikers boots' })); // three edits
    expect(ids(index, 'hiking')).toEqual(['exact']);
    expect(ids(index, 'hikinq').sort()).toEqual(['exact', 'near']);
  });

  it('forgets the words of a removed or rewritten product, so they get a typo search again', () => {
    const index = new MiniSearchLexicalIndex();
    const before = product({ title: 'Hikinr boots' });
    index.upsert('typo', before);
    index.upsert('exact', product({ title: 'Hiking shoes' }));
    expect(index.documentFrequencyOf('hikinr')).toBe(1);
    index.upsert('typo', product({ title: 'Trail boots' }), before);
    expect(index.documentFrequencyOf('hikinr')).toBe(0);
    expect(index.documentFrequencyOf('boots')).toBe(1);
    expect(ids(index, 'hikinr')).toEqual(['exact']);
    index.remove('exact', product({ title: 'Hiking shoes' }));
    expect(index.documentFrequencyOf('hiking')).toBe(0);
  });

  it('applies a filter before the limit and counts every match', () => {
    const index = catalog();
    expect(index.searchCounting('red', { limit: 1, accept: (id) => id !== 'shoe' })).toEqual({
      hits: [expect.objectContaining({ productId: 'pack' })],
      matched: 1,
    });
    expect(index.searchCounting('red', { limit: 1 }).matched).toBe(2);
  });

  it('requires every query word: a product holding only some of them is not found while another holds all', () => {
    const index = catalog();
    expect(ids(index, 'red backpack')).toEqual(['pack']);
    expect(ids(index, 'sierra mug')).toEqual(['mug']);
    expect(index.searchCounting('red shoe', { limit: 10 })).toEqual({ hits: [expect.objectContaining({ productId: 'shoe' })], matched: 1 });
  });

  it('falls back to the products holding the most words when none holds them all', () => {
    const index = catalog();
    // "red" and "backpack": only pack; "red" alone: shoe too. Nothing says "zeppelin".
    expect(ids(index, 'red backpack zeppelin')).toEqual(['pack']);
    expect(ids(index, 'navy mug').sort()).toEqual(['mug', 'tee']);
    expect(ids(index, 'zeppelin blimp')).toEqual([]);
  });

  it('lets every spelling of a compound satisfy each of its parts, and nothing less', () => {
    const index = new MiniSearchLexicalIndex();
    index.upsert('tee', product({ title: 'Basic tshirt' }));
    index.upsert('dress', product({ title: 'Dress shirt' }));
    index.upsert('pack', product({ title: 'Daypack backpack' }));
    expect(ids(index, 't-shirt')).toEqual(['tee']);
    expect(ids(index, 'back pack')).toEqual(['pack']);
  });

  it('forgives a swap of two adjacent letters in an unknown word of any length from 2 letters, when the swap is a known word', () => {
    const index = new MiniSearchLexicalIndex();
    index.upsert('lamp', product({ title: 'Halcyon lamp', categories: ['lamps'] }));
    index.upsert('bag', product({ title: 'Tote bag' }));
    expect(ids(index, 'lmap')).toEqual(['lamp']);
    expect(ids(index, 'Hlacyon lmap')).toEqual(['lamp']);
    expect(ids(index, 'bga')).toEqual(['bag']);
  });

  it('forgives one typo in an unknown word of 4 letters, never in a word with a digit', () => {
    const index = new MiniSearchLexicalIndex();
    index.upsert('lamp', product({ title: 'Desk lamp' }));
    index.upsert('phone', product({ title: 'Phone 15' }));
    expect(ids(index, 'lam')).toEqual([]);
    expect(ids(index, 'lamo')).toEqual(['lamp']);
    expect(ids(index, 'desc')).toEqual(['lamp']);
    expect(ids(index, '51')).toEqual([]);
  });

  it('counts a match in the title above the same match in the description', () => {
    const index = new MiniSearchLexicalIndex();
    index.upsert('in-title', product({ title: 'Canvas tote', description: 'A bag.' }));
    index.upsert('in-description', product({ title: 'Shopper', description: 'A canvas bag.' }));
    expect(ids(index, 'canvas')).toEqual(['in-title', 'in-description']);
  });

  it('matches the last word as a prefix only when asked to, from 3 letters', () => {
    const index = catalog();
    expect(ids(index, 'trail back')).toEqual(['pack']);
    expect(ids(index, 'back')).toEqual([]);
    expect(ids(index, 'back', 10, true)).toEqual(['pack']);
    expect(ids(index, 'ba', 10, true)).toEqual([]);
  });

  it('does not fuzz numbers: a model number matches exactly or not at all', () => {
    const index = catalog();
    expect(ids(index, '30l')).toEqual(['pack']);
    expect(ids(index, '31l')).toEqual([]);
  });

  it('never reads a typo as a word with a digit, only as a word of letters', () => {
    const index = new MiniSearchLexicalIndex();
    index.upsert('coded', product({ title: 'Desk lamp Mode1' })); // "mode1": one edit from "model"
    index.upsert('lettered', product({ title: 'Desk lamp Modes' })); // "modes": one edit from "model"
    expect(ids(index, 'model')).toEqual(['lettered']);
  });

  it('replaces a product indexed under the same id', () => {
    const index = catalog();
    index.upsert('mug', product({ title: 'Striped Teapot' }));
    expect(ids(index, 'mug')).toEqual([]);
    expect(ids(index, 'teapot')).toEqual(['mug']);
    expect(index.size).toBe(5);
  });

  it('removes a product by id, and says whether it was there', () => {
    const index = catalog();
    expect(index.remove('pack')).toBe(true);
    expect(index.remove('pack')).toBe(false);
    expect(index.has('pack')).toBe(false);
    expect(ids(index, 'backpack')).toEqual([]);
    expect(index.size).toBe(4);
  });

  it('cuts the results at the limit, ties at the cut ordered by product id', () => {
    const index = new MiniSearchLexicalIndex();
    for (const id of ['d', 'b', 'e', 'a', 'c']) index.upsert(id, product({ title: 'Plain scarf' }));
    expect(ids(index, 'scarf', 3)).toEqual(['a', 'b', 'c']);
  });

  it('finds nothing for a query of stop words, punctuation or emoji', () => {
    const index = catalog();
    for (const query of ['the of a', '?!', '🎉', '']) expect(ids(index, query)).toEqual([]);
  });

  it('answers a 10 KB query of mixed scripts without throwing', () => {
    const query = 'שלום 👍🏽 tshirt مرحبا '.repeat(500);
    expect(ids(catalog(), query)).toEqual(['tee']);
  });

  it('refuses a limit outside 1 to 10,000', () => {
    expect(() => catalog().search('mug', { limit: 0 })).toThrow('lexical search limit must be an integer from 1 to 10000, got 0');
    expect(() => catalog().search('mug', { limit: 1.5 })).toThrow('got 1.5');
  });

  it('refuses an empty product id', () => {
    expect(() => new MiniSearchLexicalIndex().upsert('', product({ title: 'x' }))).toThrow('a lexical index entry needs a non-empty product id, got ""');
  });

  it('answers the same after a round trip through JSON', () => {
    const index = catalog();
    index.remove('mug');
    const restored = MiniSearchLexicalIndex.loadJSON(JSON.stringify(index));
    for (const query of ['Sierra t-shirt', 'bakcpack', 'red', 'mug', 'creme']) {
      expect(restored.search(query, { limit: 10 })).toEqual(index.search(query, { limit: 10 }));
    }
    expect(restored.size).toBe(4);
    restored.upsert('mug', product({ title: 'Dotted Mug' }));
    expect(ids(restored, 'mug')).toEqual(['mug']);
  });

  it('refuses a snapshot of another format or analyzer version, saying to rebuild', () => {
    const snapshot = catalog().toJSON();
    expect(() => MiniSearchLexicalIndex.loadJSON({ ...snapshot, analyzerVersion: 0 })).toThrow(
      /analyzer version 0, this build uses 1: rebuild it from the products/,
    );
    expect(() => MiniSearchLexicalIndex.loadJSON({ ...snapshot, fields: ['title'] })).toThrow(/indexes fields \["title"\].*rebuild it from the products/);
    expect(() => MiniSearchLexicalIndex.loadJSON('{"documentCount":0}')).toThrow(
      'not a lexical index snapshot: expected format "vsearch.lexical-index.minisearch.v3", got undefined',
    );
  });
});

/** Shirts and a dress, some tagged: tag words and catalog words mixed in one query. */
function taggedCatalog(index = new MiniSearchLexicalIndex()): MiniSearchLexicalIndex {
  index.upsert('striped-shirt', product({ title: 'Cotton shirt', brand: 'Sierra', description: 'A shirt for the beach.', tags: ['striped', 'blue'] }));
  index.upsert('plain-shirt', product({ title: 'Linen shirt', brand: 'Sierra', description: 'Light and simple.', tags: ['plain', 'white'] }));
  index.upsert('striped-dress', product({ title: 'Summer dress', brand: 'Maison', categories: ['dresses'], tags: ['striped', 'red'] }));
  index.upsert('untagged-shirt', product({ title: 'Striped shirt', brand: 'Fleet', description: 'Blue and white stripes.' }));
  index.upsert('mug', product({ title: 'Blue mug', brand: 'Sierra Home', categories: ['home'] }));
  index.upsert('tee', product({ title: 'Basic T-Shirt', tags: ['striped', 'tshirt'] }));
  return index;
}

describe(`${MiniSearchLexicalIndex.name} searching the rarest word first`, () => {
  // The synthetic shopper catalog: 15 brands and a few dozen categories, so most words are common.
  const { products } = syntheticCatalog({ products: 1500, seed: 3 });
  const index = new MiniSearchLexicalIndex([LEXICAL_FIELD_NAMES]);
  // The reference: one MiniSearch AND query over every word at once, each word scored for every product holding it.
  const reference = new MiniSearch<Record<string, string>>({
    fields: [...LEXICAL_FIELD_NAMES],
    tokenize: analyzeText,
    processTerm: (term) => term,
    searchOptions: { boost: { ...LEXICAL_FIELD_BOOSTS } },
  });
  for (const { productId, text } of products) {
    index.upsert(productId, text);
    reference.add({ id: productId, ...lexicalTextByField(text) });
  }
  const kinds = ['brand + model', 'model code', 'full title', 'category label', 'pasted description'];
  const queries = querySets(products, 8)
    .filter((set) => kinds.includes(set.name))
    .flatMap((set) => set.queries);

  /** The index finds for `query` the products the reference finds for `referenceQuery` (its words, analyzed), with the same scores. */
  function expectReferenceResults(query: string, referenceQuery: Query): void {
    const expected = reference.search(referenceQuery, { tokenize: (text) => text.split(' '), processTerm: (term) => term });
    const { hits, matched } = index.searchCounting(query, { limit: 10_000 });
    expect(matched).toBe(expected.length);
    expect(matched).toBeGreaterThan(0);
    const expectedScores = new Map(expected.map((result) => [String(result.id), result.score]));
    for (const hit of hits) expect(hit.score).toBeCloseTo(expectedScores.get(hit.productId)!, 9);
  }

  it.each(queries)('finds for %j the products and scores of every word searched in full', (query) => {
    const words = analyzeQueryWords(query);
    expectReferenceResults(query, { combineWith: 'AND', queries: words.map((word) => ({ queries: [word.forms.join(' ')], combineWith: 'OR' })) });
  });

  // Typos: each typo neighbour is searched as a word of its own (wordParts); the reference is MiniSearch's fuzzy search.
  const typoQueries = querySets(products, 8)
    .filter((set) => set.name === 'typo (2 edits)' || set.name === 'rare word + typo')
    .flatMap((set) => set.queries);

  it.each(typoQueries)('finds for the typo %j the products and scores of MiniSearch fuzzy search', (query) => {
    const known = (term: string) => index.documentFrequencyOf(term) > 0;
    expectReferenceResults(query, {
      combineWith: 'AND',
      queries: analyzeQueryWords(query).map((word) => {
        const unknown = !word.joined && !known(word.term);
        const forms = unknown ? [...word.forms, ...typoTranspositions(word.term).filter(known)] : word.forms;
        return {
          queries: [forms.join(' ')],
          combineWith: 'OR',
          fuzzy: (term: string) => (unknown && term === word.term ? typoTolerance(term) || false : false),
        };
      }),
    });
  });
});

describe(`${MiniSearchLexicalIndex.name} with its word cache`, () => {
  const { products } = syntheticCatalog({ products: 1200, seed: 5 });
  const sets = querySets(products, 4);
  const queries = sets.flatMap((set) => set.queries.map((query) => ({ query, prefixLastTerm: set.prefixLastTerm === true })));
  const evenNumbered = (productId: string) => Number(productId.slice(1)) % 2 === 0;
  const build = (wordCache: { minMatches: number; maxHeld: number }) => {
    const index = new MiniSearchLexicalIndex(DEFAULT_FIELD_GROUPS, undefined, wordCache);
    for (const { productId, text } of products) index.upsert(productId, text);
    return index;
  };
  const withoutCache = { minMatches: 1e9, maxHeld: 1e9 };

  /**
   * Every query, with and without a filter, answered by both indexes: same count, same hits, same
   * scores; `scoresDrift`: within 1% (removed products' postings, see word-match-cache.ts).
   */
  function expectSameAnswers(cached: MiniSearchLexicalIndex, reference: MiniSearchLexicalIndex, scoresDrift = false): void {
    for (const { query, prefixLastTerm } of queries) {
      for (const accept of [undefined, evenNumbered]) {
        const expected = reference.searchCounting(query, { limit: 40, prefixLastTerm, accept });
        const actual = cached.searchCounting(query, { limit: 40, prefixLastTerm, accept });
        expect({ query, matched: actual.matched, ids: actual.hits.map((hit) => hit.productId) }).toEqual({
          query,
          matched: expected.matched,
          ids: expected.hits.map((hit) => hit.productId),
        });
        actual.hits.forEach((hit, i) => {
          if (scoresDrift) expect(Math.abs(hit.score - expected.hits[i].score)).toBeLessThanOrEqual(0.01 * expected.hits[i].score);
          else expect(hit.score).toBeCloseTo(expected.hits[i].score, 9);
        });
      }
    }
  }

  it('answers every query as an index without it does, query after query, with filters, around writes', () => {
    const cached = build({ minMatches: 20, maxHeld: 1_000_000 });
    const reference = build(withoutCache);
    for (let pass = 0; pass < 3; pass++) expectSameAnswers(cached, reference);
    expect(cached.wordCacheSize).toBeGreaterThan(0);
    expect(reference.wordCacheSize).toBe(0);

    // A new product, then a removed one, a rewritten one and a re-tag (these leave removed postings behind, so scores
    // may drift), on both: the cache must not answer from before them.
    const writes: Array<(index: MiniSearchLexicalIndex) => void> = [
      (index) => index.upsert('new-product', products[0].text),
      (index) => index.remove(products[1].productId),
      (index) => index.upsert(products[2].productId, products[3].text, products[2].text),
      (index) => index.replaceTags(products[4].productId, ['striped'], []),
    ];
    for (const [i, write] of writes.entries()) {
      write(cached);
      write(reference);
      expect(cached.wordCacheSize).toBe(0);
      for (let pass = 0; pass < 3; pass++) expectSameAnswers(cached, reference, i > 0);
      expect(cached.wordCacheSize).toBeGreaterThan(0);
    }
  });

  it('picks the best hits of many, without sorting them all, as sorting them all does', () => {
    const index = build(withoutCache);
    for (const { query } of queries) {
      const all = index.search(query, { limit: 10_000 });
      for (const limit of [1, 7, 40]) expect(index.search(query, { limit })).toEqual(all.slice(0, limit));
    }
    expect(queries.some(({ query }) => index.searchCounting(query, { limit: 1 }).matched > 4 * 40)).toBe(true);
  });

  it('finds a product written after a common word was kept, and no longer finds a removed one', () => {
    const index = build({ minMatches: 20, maxHeld: 1_000_000 });
    const label = String(products[0].text.categories[1]);
    const before = index.searchCounting(label, { limit: 10_000 });
    expect(index.wordCacheSize).toBeGreaterThanOrEqual(before.matched);
    index.upsert('new-product', products[0].text);
    const added = index.searchCounting(label, { limit: 10_000 }).hits.map((hit) => hit.productId);
    expect(added).toContain('new-product');
    expect(added).toHaveLength(before.matched + 1);
    index.remove(products[0].productId);
    const removed = index.searchCounting(label, { limit: 10_000 }).hits.map((hit) => hit.productId);
    expect(removed).not.toContain(products[0].productId);
    expect(removed).toHaveLength(before.matched);
  });
});

describe(`${MiniSearchLexicalIndex.name} with tag labels in their own index`, () => {
  it('requires every query word, each found in the catalog text or in the tags', () => {
    const index = taggedCatalog();
    expect(ids(index, 'striped').sort()).toEqual(['striped-dress', 'striped-shirt', 'tee', 'untagged-shirt']);
    expect(ids(index, 'striped cotton')).toEqual(['striped-shirt']);
    expect(ids(index, 'sierra striped shirt')).toEqual(['striped-shirt']);
    expect(ids(index, 'red summer').sort()).toEqual(['striped-dress']);
  });

  it('forgives a typo in a tag word as in any word', () => {
    const index = taggedCatalog();
    expect(ids(index, 'strped cotton')).toEqual(['striped-shirt']); // a letter missing
    expect(ids(index, 'stripde dress')).toEqual(['striped-dress']); // two letters swapped
  });

  it('falls back to the products holding the most words, counting words matched in either index', () => {
    // "plain" (a tag) and "linen" (a title word) only in plain-shirt; "zeppelin" nowhere
    expect(ids(taggedCatalog(), 'plain linen zeppelin')).toEqual(['plain-shirt']);
  });

  it('scores every query as one index over all fields would', () => {
    const split = taggedCatalog();
    const single = taggedCatalog(new MiniSearchLexicalIndex([LEXICAL_FIELD_NAMES]));
    for (const query of [
      'striped',
      'striped shirt',
      'striped t-shirt',
      'blue',
      'blue shirt',
      'strped',
      'sierra blue',
      'plain linen zeppelin',
      'red summer dress',
      'mug',
    ]) {
      for (const prefixLastTerm of [false, true]) {
        const expected = single.search(query, { limit: 10, prefixLastTerm });
        const actual = split.search(query, { limit: 10, prefixLastTerm });
        expect(actual.map((hit) => hit.productId)).toEqual(expected.map((hit) => hit.productId));
        actual.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i].score, 9));
      }
    }
    expect(split.search('sierra striped', { limit: 10, prefixLastTerm: true }).length).toBeGreaterThan(0);
  });

  it('applies a filter to products matched across both indexes, before the limit', () => {
    const index = taggedCatalog();
    expect(index.searchCounting('striped shirt', { limit: 1, accept: (id) => id !== 'untagged-shirt' && id !== 'striped-shirt' })).toEqual({
      hits: [expect.objectContaining({ productId: 'tee' })],
      matched: 1,
    });
    expect(index.searchCounting('striped shirt', { limit: 1 }).matched).toBe(3);
  });

  it('re-indexes only the labels of a re-tagged product: its new labels find it, its old ones do not, its catalog words still do', () => {
    const index = taggedCatalog();
    expect(index.replaceTags('plain-shirt', ['checked'], ['plain', 'white'])).toBe(true);
    expect(ids(index, 'checked linen')).toEqual(['plain-shirt']);
    expect(ids(index, 'plain')).toEqual([]);
    expect(index.documentFrequencyOf('plain')).toBe(0);
    expect(index.documentFrequencyOf('checked')).toBe(1);
    expect(ids(index, 'linen shirt')).toEqual(['plain-shirt']);
    expect(index.size).toBe(6);
    expect(index.replaceTags('unknown', ['checked'], [])).toBe(false);
  });

  it('keeps the tag index when an upsert changes only the catalog text, and the catalog index when it changes only the tags', () => {
    const index = taggedCatalog();
    const before = product({ title: 'Summer dress', brand: 'Maison', categories: ['dresses'], tags: ['striped', 'red'] });
    index.upsert('striped-dress', { ...before, tags: ['dotted'] }, before);
    expect(ids(index, 'dotted summer')).toEqual(['striped-dress']);
    index.upsert('striped-dress', { ...before, title: 'Winter dress', tags: ['dotted'] }, { ...before, tags: ['dotted'] });
    expect(ids(index, 'dotted winter')).toEqual(['striped-dress']);
    expect(ids(index, 'summer')).toEqual([]);
  });

  it('refuses to re-index tags alone when they share an index with other fields', () => {
    const index = taggedCatalog(new MiniSearchLexicalIndex([LEXICAL_FIELD_NAMES]));
    expect(() => index.replaceTags('plain-shirt', ['checked'], ['plain'])).toThrow(/tags share a keyword index with .*title.*: re-index them with upsert/);
  });

  it('refuses field groups that leave out a field or list one twice', () => {
    expect(() => new MiniSearchLexicalIndex([LEXICAL_FIELD_NAMES.filter((field) => field !== 'tags')])).toThrow(/must hold each of .* once/);
    expect(() => new MiniSearchLexicalIndex([LEXICAL_FIELD_NAMES, ['tags']])).toThrow(/must hold each of .* once/);
  });

  it('answers the same after a round trip through JSON', () => {
    const index = taggedCatalog();
    const restored = MiniSearchLexicalIndex.loadJSON(JSON.stringify(index));
    for (const query of ['striped shirt', 'strped', 'blue', 'plain linen zeppelin']) {
      expect(restored.search(query, { limit: 10 })).toEqual(index.search(query, { limit: 10 }));
    }
    restored.replaceTags('mug', ['dotted'], []);
    expect(ids(restored, 'dotted')).toEqual(['mug']);
  });
});

describe(typoTolerance.name, () => {
  it('allows no edit below 4 letters, 1 from 4 to 7, 2 from 8', () => {
    expect(['bag', 'shoe', 'boots', 'sandals', 'backpack', 'sweatshirts'].map(typoTolerance)).toEqual([0, 1, 1, 1, 2, 2]);
  });

  it('counts letters, not UTF-16 units', () => {
    expect(typoTolerance('\u{20000}\u{20001}\u{20002}')).toBe(0);
  });

  it('allows no edit in a word with a digit', () => {
    expect(typoTolerance('iphone15')).toBe(0);
  });
});

describe(typoTranspositions.name, () => {
  it('swaps each pair of adjacent letters once, leaving out swaps that change nothing', () => {
    expect(typoTranspositions('lmap')).toEqual(['mlap', 'lamp', 'lmpa']);
    expect(typoTranspositions('boot')).toEqual(['obot', 'boto']);
    expect(typoTranspositions('a')).toEqual([]);
  });

  it('swaps letters, not UTF-16 units, and never swaps in a word with a digit', () => {
    expect(typoTranspositions('\u{20000}\u{20001}')).toEqual(['\u{20001}\u{20000}']);
    expect(typoTranspositions('s10')).toEqual([]);
  });
});
