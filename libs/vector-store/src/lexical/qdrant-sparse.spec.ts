import type { LexicalProductText } from './lexical-fields';
import {
  hybridQueryGroupsRequest,
  murmurHash3,
  productTextTerms,
  productTextVector,
  qdrantRrfK,
  queryTextVector,
  queryWordConditions,
  termId,
  textVectorUpdate,
  type HybridQuery,
} from './qdrant-sparse';

function product(overrides: Partial<LexicalProductText> = {}): LexicalProductText {
  return { title: '', brand: '', description: '', categories: [], attributes: {}, ...overrides };
}

/** The vector as term → value, for readable expectations. */
function byTerm(vector: { indices: number[]; values: number[] }, terms: string[]): Record<string, number | undefined> {
  return Object.fromEntries(terms.map((term) => [term, vector.values[vector.indices.indexOf(termId(term))]]));
}

const hybrid: HybridQuery = {
  vector: new Float32Array([0.6, 0.8]),
  text: 'Sierra t-shirt',
  using: 'image',
  filter: { must: [{ key: 'kind', match: { value: 'image' } }] },
  limit: 10,
  prefetchLimit: 100,
  groupBy: 'productId',
};

describe(termId.name, () => {
  it('is MurmurHash3 x86 32-bit with seed 0 over UTF-8 (reference values)', () => {
    expect(termId('')).toBe(0);
    expect(termId('hello')).toBe(0x248bfa47);
    expect(termId('test')).toBe(0xba6bd213);
    expect(termId('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('matches the reference test vectors of MurmurHash3_x86_32 (seed 0x9747b28c), every tail length and UTF-8', () => {
    const vectors: [string, number][] = [
      ['a', 0x7fa09ea6],
      ['aa', 0x5d211726],
      ['aaa', 0x283e0130],
      ['aaaa', 0x5a97808a],
      ['abc', 0xc84a62dd],
      ['Hello, world!', 0x24884cba],
      ['ππππππππ', 0xd58063c1],
    ];
    expect(vectors.map(([text]) => murmurHash3(text, 0x9747b28c))).toEqual(vectors.map(([, hash]) => hash));
  });

  it('hashes the UTF-8 bytes of non-ASCII terms', () => {
    expect(termId('crème')).not.toBe(termId('creme'));
    expect(termId('שלום')).toBeLessThan(2 ** 32);
  });
});

describe(productTextVector.name, () => {
  it('weights term frequency by field boost and saturates it (k1 = 1, b = 0: 2·tf / (tf + 1))', () => {
    // "red": title (boost 3) + description (1) = 4 → 8/5; "shoe": description only = 1 → 2/2.
    const vector = productTextVector(product({ title: 'Red', description: 'red shoe' }), { k1: 1, b: 0, averageLength: 1 });
    expect(byTerm(vector, ['red', 'shoe'])).toEqual({ red: 8 / 5, shoe: 1 });
    expect(vector.indices).toHaveLength(2);
  });

  it('normalises by the boost-weighted length against the average (b = 1)', () => {
    // length = 3 + 1 + 1 = 5, averageLength 4 → norm = 5/4; red: 8 / (4 + 1.25), shoe: 2 / (1 + 1.25).
    const vector = productTextVector(product({ title: 'Red', description: 'red shoe' }), { k1: 1, b: 1, averageLength: 4 });
    expect(byTerm(vector, ['red', 'shoe'])).toEqual({ red: 8 / 5.25, shoe: 2 / 2.25 });
  });

  it('holds every field of the product, analyzed as the embedded index analyzes it', () => {
    const vector = productTextVector(
      product({ title: 'Sierra T-Shirt', brand: 'Northwind', categories: ['apparel'], attributes: { colour: 'Crème' }, description: 'the best' }),
    );
    const terms = ['sierra', 't', 'shirt', 'tshirt', 'northwind', 'apparel', 'creme', 'best'];
    expect(Object.values(byTerm(vector, terms)).every((value) => value !== undefined && value > 0)).toBe(true);
    expect(vector.indices).toHaveLength(terms.length); // "the" is a stop word
  });

  it('lists indices ascending and unique, values beside them', () => {
    const vector = productTextVector(product({ title: 'b a c d e f g', description: 'g f e d c b' }));
    expect([...vector.indices].sort((a, b) => a - b)).toEqual(vector.indices);
    expect(new Set(vector.indices).size).toBe(vector.indices.length);
    expect(vector.values).toHaveLength(vector.indices.length);
  });

  it('is empty for a product without text', () => {
    expect(productTextVector(product())).toEqual({ indices: [], values: [] });
  });

  it('refuses saturation parameters that make no BM25 sense', () => {
    expect(() => productTextVector(product(), { k1: 1.2, b: 2, averageLength: 64 })).toThrow('BM25 b must be between 0 and 1, got 2');
    expect(() => productTextVector(product(), { k1: 1.2, b: 0.75, averageLength: 0 })).toThrow('BM25 averageLength must be a finite number above 0, got 0');
  });
});

describe(queryTextVector.name, () => {
  it('gives each distinct query term 1, joined forms included', () => {
    const vector = queryTextVector('T Shirt shirt');
    expect(byTerm(vector, ['t', 'shirt', 'tshirt'])).toEqual({ t: 1, shirt: 1, tshirt: 1 });
    expect(vector.indices).toHaveLength(3);
  });

  it('adds up two terms that share an id ("fbmv" and "ncgab" hash alike)', () => {
    expect(termId('fbmv')).toBe(termId('ncgab'));
    const vector = queryTextVector('fbmv ncgab');
    expect(vector.values[vector.indices.indexOf(termId('fbmv'))]).toBe(2);
    expect(new Set(vector.indices).size).toBe(vector.indices.length);
  });

  it('is empty for stop words and emoji', () => {
    expect(queryTextVector('the 🎉 of')).toEqual({ indices: [], values: [] });
  });
});

describe(hybridQueryGroupsRequest.name, () => {
  it('fuses an image prefetch and a text prefetch under the same filter by RRF, one group per product', () => {
    const body = hybridQueryGroupsRequest(hybrid);
    expect(body).toEqual({
      prefetch: [
        { query: [Math.fround(0.6), Math.fround(0.8)], using: 'image', filter: hybrid.filter, limit: 100 },
        { query: queryTextVector('Sierra t-shirt'), using: 'text', filter: hybrid.filter, limit: 100 },
      ],
      query: { rrf: { k: 61 } },
      group_by: 'productId',
      group_size: 1,
      limit: 10,
      with_payload: true,
      with_vector: false,
    });
  });

  it('restricts the text prefetch alone by textFilter when given', () => {
    const textFilter = { must: [hybrid.filter, ...queryWordConditions(hybrid.text, 'terms')] };
    const { prefetch } = hybridQueryGroupsRequest({ ...hybrid, textFilter });
    expect(prefetch).toEqual([
      expect.objectContaining({ using: 'image', filter: hybrid.filter }),
      expect.objectContaining({ using: 'text', filter: textFilter }),
    ]);
  });

  it('sends weights only when they are not all 1, in prefetch order', () => {
    expect(hybridQueryGroupsRequest({ ...hybrid, k: 10, weights: { vector: 1, lexical: 2 } }).query).toEqual({ rrf: { k: 11, weights: [1, 2] } });
  });

  it('leaves the text prefetch out when the text has no terms, keeping RRF scores', () => {
    const body = hybridQueryGroupsRequest({ ...hybrid, text: 'the 🎉', weights: { vector: 2, lexical: 1 } });
    expect(body.prefetch).toHaveLength(1);
    expect(body.query).toEqual({ rrf: { k: 61, weights: [2] } });
  });

  it('passes search params to the image prefetch only', () => {
    const body = hybridQueryGroupsRequest({ ...hybrid, params: { hnsw_ef: 64 } });
    const prefetch = body.prefetch as { params?: unknown }[];
    expect(prefetch.map((entry) => entry.params)).toEqual([{ hnsw_ef: 64 }, undefined]);
  });

  it('cuts the image prefetch at the score threshold and never the text prefetch', () => {
    const prefetch = hybridQueryGroupsRequest({ ...hybrid, scoreThreshold: 0.2 }).prefetch as { using: string; score_threshold?: number }[];
    expect(prefetch.map((entry) => [entry.using, entry.score_threshold])).toEqual([
      ['image', 0.2],
      ['text', undefined],
    ]);
    expect(() => hybridQueryGroupsRequest({ ...hybrid, scoreThreshold: Number.NaN })).toThrow('hybrid query scoreThreshold must be a finite number, got NaN');
  });

  it('refuses a limit, prefetch limit or weight it cannot send', () => {
    expect(() => hybridQueryGroupsRequest({ ...hybrid, limit: 0 })).toThrow('hybrid query limit must be a positive integer, got 0');
    expect(() => hybridQueryGroupsRequest({ ...hybrid, prefetchLimit: 5 })).toThrow(
      'hybrid query prefetchLimit must be an integer of at least limit (10), got 5',
    );
    expect(() => hybridQueryGroupsRequest({ ...hybrid, weights: { vector: 1, lexical: 0 } })).toThrow(
      'hybrid query lexical weight must be a finite number above 0, got 0',
    );
  });
});

describe(qdrantRrfK.name, () => {
  it("maps this code base's k to Qdrant's, which counts positions from 0", () => {
    // Ours: 1 / (rank + k) at rank 1 with k = 60 → 1/61. Qdrant: 1 / (position + k') at position 0 → 1/k'.
    expect(qdrantRrfK(60)).toBe(61);
    expect(() => qdrantRrfK(0)).toThrow('RRF k must be an integer of at least 1, got 0');
  });
});

describe(textVectorUpdate.name, () => {
  it("rewrites the text vector of each of a product's image points", () => {
    const text = product({ title: 'Runner' });
    expect(textVectorUpdate(['p1', 'p2'], text)).toEqual({
      points: [
        { id: 'p1', vector: { text: productTextVector(text) } },
        { id: 'p2', vector: { text: productTextVector(text) } },
      ],
    });
    expect(() => textVectorUpdate([], text)).toThrow('a text vector update needs at least one image point id');
  });
});

describe(productTextTerms.name, () => {
  it('lists each analyzed term of every field once', () => {
    expect(productTextTerms(product({ title: 'Sierra T-Shirt', brand: 'Sierra', categories: ['tops'], description: 'A shirt.' })).sort()).toEqual([
      'shirt',
      'sierra',
      't',
      'tops',
      'tshirt',
    ]);
  });
});

describe(queryWordConditions.name, () => {
  it('asks for some form of each query word, stop words left out', () => {
    expect(queryWordConditions('the Sierra t-shirt', 'terms')).toEqual([
      { key: 'terms', match: { any: ['sierra'] } },
      { key: 'terms', match: { any: ['t', 'tshirt'] } },
      { key: 'terms', match: { any: ['shirt', 'tshirt'] } },
    ]);
    expect(queryWordConditions('the of', 'terms')).toEqual([]);
  });
});
