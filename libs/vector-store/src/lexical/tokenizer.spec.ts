import { MAX_QUERY_TERMS, MAX_TERM_LENGTH, analyzeQuery, analyzeQueryWords, analyzeText } from './tokenizer';

const queryTerms = (text: string) => analyzeQuery(text).map((entry) => entry.term);

describe(analyzeText.name, () => {
  it('lower-cases, strips accents and splits on white space and punctuation', () => {
    expect(analyzeText('Crème Brûlée, NAÏVE/Façade!')).toEqual(['creme', 'brulee', 'naive', 'facade']);
  });

  it('folds compatibility forms: full-width and mathematical letters, ligatures, dotted capital I', () => {
    expect(analyzeText('ＴＳＨＩＲＴ 𝐁𝐎𝐋𝐃 ﬁt İSTANBUL')).toEqual(['tshirt', 'bold', 'fit', 'istanbul']);
  });

  it('deletes apostrophes inside words', () => {
    expect(analyzeText("Levi's men’s")).toEqual(['levis', 'mens']);
  });

  it('keeps repeats in text order, so the index can count term frequency', () => {
    expect(analyzeText('red shoe, red lace')).toEqual(['red', 'shoe', 'red', 'lace']);
  });

  it('drops stop words', () => {
    expect(analyzeText('The bag of the year, for a song')).toEqual(['bag', 'year', 'song']);
  });

  it('emits the parts and the joined form of a hyphenated word', () => {
    expect(analyzeText('Sierra T-Shirt')).toEqual(['sierra', 't', 'shirt', 'tshirt']);
    expect(analyzeText('x-ray-proof')).toEqual(['x', 'ray', 'proof', 'xrayproof']);
  });

  it('joins a short word with the word beside it, across white space only', () => {
    expect(analyzeText('T Shirt')).toEqual(['t', 'shirt', 'tshirt']);
    expect(analyzeText('e bike')).toEqual(['e', 'bike', 'ebike']);
    expect(analyzeText('Shirt, T')).toEqual(['shirt', 't']);
    expect(analyzeText('Shirt\nT')).toEqual(['shirt', 't']);
  });

  it('does not join two long words on the index side', () => {
    expect(analyzeText('back pack')).toEqual(['back', 'pack']);
  });

  it('does not join across a stop word', () => {
    expect(analyzeText('x of y')).toEqual(['x', 'y']);
  });

  it('gives "t-shirt", "T Shirt" and "tshirt" a term in common', () => {
    const spellings = ['t-shirt', 'T Shirt', 'tshirt', 'T‐SHIRT'].map((text) => new Set(analyzeText(text)));
    for (const terms of spellings) expect(terms.has('tshirt')).toBe(true);
  });

  it('keeps letters of right-to-left and unspaced scripts, and drops emoji', () => {
    expect(analyzeText('שלום 🎉 مرحبا 👍🏽 東京タワー')).toEqual(['שלום', 'مرحبا', '東京タワー']);
  });

  it('returns no terms for text without letters or digits', () => {
    expect(analyzeText('')).toEqual([]);
    expect(analyzeText(' -- !! 🎉🎉 ')).toEqual([]);
  });

  it('cuts long words to the maximum term length without splitting a surrogate pair', () => {
    expect(analyzeText('x'.repeat(100))).toEqual(['x'.repeat(MAX_TERM_LENGTH)]);
    // U+20000, a CJK letter outside the basic plane: one letter, two UTF-16 units (positions 39 and 40).
    expect(analyzeText(`${'a'.repeat(MAX_TERM_LENGTH - 1)}\u{20000}b`)).toEqual(['a'.repeat(MAX_TERM_LENGTH - 1)]);
  });

  it('refuses a value that is not a string, naming its type', () => {
    expect(() => analyzeText(undefined as unknown as string)).toThrow('lexical text must be a string, got undefined');
  });
});

describe(analyzeQuery.name, () => {
  it('returns distinct terms in query order', () => {
    expect(queryTerms('red RED Red shoes')).toEqual(['red', 'shoes', 'redshoes']);
  });

  it('marks joined forms, which were not typed', () => {
    expect(analyzeQuery('t-shirt')).toEqual([
      { term: 't', joined: false },
      { term: 'shirt', joined: false },
      { term: 'tshirt', joined: true },
    ]);
  });

  it('treats a joined form that was also typed as a typed word', () => {
    expect(analyzeQuery('t-shirt tshirt')).toContainEqual({ term: 'tshirt', joined: false });
  });

  it('tries every pair of adjacent words joined', () => {
    expect(queryTerms('back pack')).toEqual(['back', 'pack', 'backpack']);
    expect(queryTerms('T Shirt')).toEqual(['t', 'shirt', 'tshirt']);
  });

  it('meets the index side on every spelling of a compound', () => {
    const indexed = ['Sierra t-shirt', 'Sierra T Shirt', 'Sierra tshirt'].map((text) => new Set(analyzeText(text)));
    for (const query of ['t-shirt', 'T Shirt', 'tshirt', 't shirt']) {
      for (const terms of indexed) expect(queryTerms(query).some((term) => terms.has(term) && term !== 't')).toBe(true);
    }
  });

  it(`caps a query at ${MAX_QUERY_TERMS} distinct terms and survives 10 KB of mixed text`, () => {
    const words = Array.from({ length: 2_000 }, (_, i) => `w${i}x`).join(' ');
    expect(analyzeQuery(words)).toHaveLength(MAX_QUERY_TERMS);
    const noise = '👍🏽 שלום مرحبا \u{10FFFF} \uD800 '.repeat(500);
    expect(noise.length).toBeGreaterThan(10_000);
    expect(queryTerms(noise)).toEqual(['שלום', 'مرحبا', 'שלוםمرحبا']);
  });

  it('returns nothing for a query of stop words only', () => {
    expect(analyzeQuery('the of and')).toEqual([]);
  });
});

describe(analyzeQueryWords.name, () => {
  it('gives each typed word its joins as other forms, so a joined spelling satisfies every part', () => {
    expect(analyzeQueryWords('Halcyon t-shirt')).toEqual([
      { term: 'halcyon', forms: ['halcyon'], joined: false },
      { term: 't', forms: ['t', 'tshirt'], joined: false },
      { term: 'shirt', forms: ['shirt', 'tshirt'], joined: false },
    ]);
    expect(analyzeQueryWords('back pack')).toEqual([
      { term: 'back', forms: ['back', 'backpack'], joined: false },
      { term: 'pack', forms: ['pack', 'backpack'], joined: false },
    ]);
  });

  it('counts no stop word as a word and merges repeated words', () => {
    expect(analyzeQueryWords('the lamp for the desk lamp').map((word) => word.term)).toEqual(['lamp', 'desk']);
    expect(analyzeQueryWords('the of and')).toEqual([]);
  });

  it('keeps a compound of stop words as a word of its own, not worth a typo search', () => {
    expect(analyzeQueryWords('of-the')).toEqual([{ term: 'ofthe', forms: ['ofthe'], joined: true }]);
  });

  it('holds exactly the terms of analyzeQuery', () => {
    for (const text of ['Halcyon t-shirt', 'red back pack 30L', `${'w'.repeat(50)} x`, Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ')]) {
      const forms = new Set(analyzeQueryWords(text).flatMap((word) => word.forms));
      expect([...forms].sort()).toEqual(
        analyzeQuery(text)
          .map((term) => term.term)
          .sort(),
      );
    }
  });
});
