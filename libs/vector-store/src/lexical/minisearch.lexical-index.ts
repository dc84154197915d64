/**
 * The embedded store's keyword index: one MiniSearch index (BM25+ ranking, radix-tree term
 * dictionary for typo and prefix lookups) over the product fields of LEXICAL_FIELDS, analyzed by
 * the shared analyzer, keyed by product id. It holds no product data, only terms.
 *
 * Matching is all-words-first, as e-commerce engines do it (Algolia requires every query word by
 * default): a search is MiniSearch's AND over the query's words, each word an OR of its forms
 * (analyzeQueryWords), so "Halcyon lamp" finds Halcyon lamps, not every lamp and every Halcyon
 * product. Only when no product holds every word does a second, OR search run, keeping the
 * products that hold the most words. MiniSearch multiplies a product's score by the number of
 * query terms it matched. Typo and prefix matches count less than exact ones (MiniSearch's
 * weights 0.45 and 0.375).
 *
 * Beside MiniSearch the index keeps each term's document frequency (statistics MiniSearch does not
 * expose), so a query word the index knows is matched exactly and only unknown words pay for the
 * typo search: expanding every 4+ letter word to its edit-distance neighbours was most of a
 * query's time (see bench/lexical-index.bench.ts). An unknown word matches its edit-distance
 * neighbours (typoTolerance) and the known words one adjacent swap away (typoTranspositions,
 * which Levenshtein counts as two edits). A known word can still be a typo of another known
 * word ("boats" for "boots"); that one is matched as typed.
 *
 * Removal uses MiniSearch's `discard`: the product stops matching at once, and its postings are
 * vacuumed later (automatically, in batches, once 10% of the products are discarded). Until then
 * the discarded postings still count in the document frequencies BM25+ takes its idf from, which
 * shifts scores slightly but never the set of products found.
 */
import MiniSearch, { type Options, type SearchOptions, type SearchResult } from 'minisearch';
import { LEXICAL_FIELD_BOOSTS, LEXICAL_FIELD_NAMES, lexicalTextByField, type LexicalFieldName, type LexicalProductText } from './lexical-fields';
import { LEXICAL_ANALYZER_VERSION, analyzeQueryWords, analyzeText, type QueryWord } from './tokenizer';

export interface LexicalHit {
  productId: string;
  /** BM25+ score with field boosts; comparable only within one result list. */
  score: number;
}

export interface LexicalSearchOptions {
  /** Hits returned at most (1 to 10,000). */
  limit: number;
  /** Also match words that start with the query's last word ("back" finds "backpack"), for search as you type. Default false. */
  prefixLastTerm?: boolean;
  /** Only products it accepts are scored and returned (filters apply before the limit). */
  accept?: (productId: string) => boolean;
}

/** What `toJSON` writes: MiniSearch's own snapshot, labelled with the analyzer that made its terms. */
export interface SerializedLexicalIndex {
  format: typeof SNAPSHOT_FORMAT;
  analyzerVersion: number;
  fields: readonly string[];
  miniSearch: ReturnType<MiniSearch['toJSON']>;
  /** Document frequency per term, as [term, products] pairs. */
  documentFrequencies: Array<[string, number]>;
}

type LexicalDocument = { id: string } & Record<LexicalFieldName, string>;

const SNAPSHOT_FORMAT = 'vsearch.lexical-index.minisearch.v2';
const MAX_LIMIT = 10_000;
/** The last query word is only prefix-matched from this length: "t" would match a tenth of the dictionary. */
const MIN_PREFIX_LENGTH = 3;
const HAS_DIGIT = /\p{N}/u;

/**
 * Typos forgiven in a query word the index does not know: none below 4 letters (too many
 * neighbours: "bag"/"bat"/"big"), 1 edit for 4 to 7 letters ("lmap" is not a word, "lamp" is
 * one edit away), 2 for 8 or more ("bakcpack" → "backpack" is two substitutions). Only unknown
 * words are fuzzy, so "shoe" is never read as "show". Words with a digit are model numbers and
 * sizes: never fuzzy.
 */
export function typoTolerance(term: string): number {
  if (HAS_DIGIT.test(term)) return 0;
  const letters = [...term].length;
  if (letters < 4) return 0;
  return letters < 8 ? 1 : 2;
}

/**
 * `term` with each pair of adjacent letters swapped ("lmap" → "mlap", "lamp", "lmpa"), distinct
 * and unlike `term`: the commonest typo, which Levenshtein distance counts as two edits. None for
 * a word with a digit.
 */
export function typoTranspositions(term: string): string[] {
  if (HAS_DIGIT.test(term)) return [];
  const letters = [...term];
  const variants = new Set<string>();
  for (let i = 0; i + 1 < letters.length; i++) {
    if (letters[i] === letters[i + 1]) continue;
    const swapped = [...letters];
    [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
    variants.add(swapped.join(''));
  }
  return [...variants];
}

export class MiniSearchLexicalIndex {
  private readonly index: MiniSearch<LexicalDocument>;
  /** Products holding each term (in any field). */
  private readonly documentFrequency: Map<string, number>;
  /** While a document is added: its distinct terms, collected by the tokenizer MiniSearch calls. */
  private termsOfAdded: Set<string> | undefined;

  constructor(snapshot?: { miniSearch: SerializedLexicalIndex['miniSearch']; documentFrequencies: SerializedLexicalIndex['documentFrequencies'] }) {
    const options = miniSearchOptions((text) => {
      const terms = analyzeText(text);
      if (this.termsOfAdded) for (const term of terms) this.termsOfAdded.add(term);
      return terms;
    });
    this.index = snapshot ? MiniSearch.loadJS<LexicalDocument>(snapshot.miniSearch, options) : new MiniSearch<LexicalDocument>(options);
    this.documentFrequency = new Map(snapshot?.documentFrequencies ?? []);
  }

  /** Loads what `toJSON` wrote (as a JSON string or parsed); refuses a snapshot of another format or analyzer version. */
  static loadJSON(snapshot: string | SerializedLexicalIndex): MiniSearchLexicalIndex {
    const parsed: unknown = typeof snapshot === 'string' ? JSON.parse(snapshot) : snapshot;
    const candidate = parsed as Partial<SerializedLexicalIndex> | null;
    if (!candidate || typeof candidate !== 'object' || candidate.format !== SNAPSHOT_FORMAT || !candidate.miniSearch) {
      throw new Error(`not a lexical index snapshot: expected format "${SNAPSHOT_FORMAT}", got ${JSON.stringify(candidate?.format)}`);
    }
    if (candidate.analyzerVersion !== LEXICAL_ANALYZER_VERSION) {
      throw new Error(
        `lexical index snapshot was analyzed with analyzer version ${candidate.analyzerVersion}, this build uses ${LEXICAL_ANALYZER_VERSION}: rebuild it from the products`,
      );
    }
    if (JSON.stringify(candidate.fields) !== JSON.stringify(LEXICAL_FIELD_NAMES)) {
      throw new Error(
        `lexical index snapshot indexes fields ${JSON.stringify(candidate.fields)}, this build indexes ${JSON.stringify(LEXICAL_FIELD_NAMES)}: rebuild it from the products`,
      );
    }
    if (!Array.isArray(candidate.documentFrequencies)) throw new Error('lexical index snapshot has no document frequencies: rebuild it from the products');
    return new MiniSearchLexicalIndex({ miniSearch: candidate.miniSearch, documentFrequencies: candidate.documentFrequencies });
  }

  /** Products indexed. */
  get size(): number {
    return this.index.documentCount;
  }

  has(productId: string): boolean {
    return this.index.has(productId);
  }

  /** Products holding `term` (an analyzed term) in any field. */
  documentFrequencyOf(term: string): number {
    return this.documentFrequency.get(term) ?? 0;
  }

  /**
   * Indexes a product's text, replacing what was indexed for that id before. `previous` is the
   * text indexed before, when there was one; without it the replaced terms' document frequencies
   * stay counted (they only steer which words get a typo search).
   */
  upsert(productId: string, product: LexicalProductText, previous?: LexicalProductText): void {
    if (typeof productId !== 'string' || productId === '')
      throw new TypeError(`a lexical index entry needs a non-empty product id, got ${JSON.stringify(productId)}`);
    const document: LexicalDocument = { id: productId, ...lexicalTextByField(product) };
    this.remove(productId, previous);
    this.termsOfAdded = new Set();
    try {
      this.index.add(document);
      for (const term of this.termsOfAdded) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
    } finally {
      this.termsOfAdded = undefined;
    }
  }

  /** Removes a product (`previous`: its indexed text, see `upsert`); false when it was not indexed. */
  remove(productId: string, previous?: LexicalProductText): boolean {
    if (!this.index.has(productId)) return false;
    this.index.discard(productId);
    if (previous) {
      const fields = lexicalTextByField(previous);
      const terms = new Set(LEXICAL_FIELD_NAMES.flatMap((field) => analyzeText(fields[field])));
      for (const term of terms) {
        const count = (this.documentFrequency.get(term) ?? 0) - 1;
        if (count > 0) this.documentFrequency.set(term, count);
        else this.documentFrequency.delete(term);
      }
    }
    return true;
  }

  /**
   * Products matching every query word, best BM25+ score first; equal scores by product id. A
   * word matches by any of its forms (see analyzeQueryWords: "t-shirt" needs "t" or "tshirt" and
   * "shirt" or "tshirt"); stop words are no words. When no product matches every word, the
   * products matching the most words are found instead (so one unknown or misspelt word does not
   * empty the page). A query of stop words or punctuation only finds nothing. A word the index
   * holds is matched as typed; an unknown one also by its typo neighbours (see typoVariants).
   */
  search(query: string, options: LexicalSearchOptions): LexicalHit[] {
    return this.searchCounting(query, options).hits;
  }

  /** `search`, also saying how many products matched in all (the hits stop at the limit). */
  searchCounting(query: string, options: LexicalSearchOptions): { hits: LexicalHit[]; matched: number } {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIMIT) {
      throw new RangeError(`lexical search limit must be an integer from 1 to ${MAX_LIMIT}, got ${options.limit}`);
    }
    const words = analyzeQueryWords(query);
    if (words.length === 0) return { hits: [], matched: 0 };
    const lastWord = words[words.length - 1];
    // A word's forms, plus the known words one adjacent swap away from an unknown typed word.
    const formsOf = words.map((word) => (this.isTypoCandidate(word) ? [...word.forms, ...this.knownTranspositions(word.term)] : word.forms));
    const accept = options.accept;
    const searchOptions: SearchOptions = {
      // The query is already analyzed: its terms go in as they are, one per space.
      tokenize: (text) => text.split(' '),
      processTerm: (term) => term,
      ...(accept ? { filter: (result: SearchResult) => accept(String(result.id)) } : {}),
    };
    const wordQueries = words.map((word, i) => ({
      queries: [formsOf[i].join(' ')],
      combineWith: 'OR' as const,
      fuzzy: (term: string) => (term === word.term && this.isTypoCandidate(word) ? typoTolerance(term) || false : false),
      prefix: (term: string) => options.prefixLastTerm === true && word === lastWord && term === word.term && !word.joined && term.length >= MIN_PREFIX_LENGTH,
    }));
    const all = this.index.search({ combineWith: 'AND', queries: wordQueries }, searchOptions);
    if (all.length > 0 || words.length === 1) return { hits: topHits(all, options.limit), matched: all.length };
    const some = mostWordsMatched(this.index.search({ combineWith: 'OR', queries: wordQueries }, searchOptions), formsOf);
    return { hits: topHits(some, options.limit), matched: some.length };
  }

  /** A typed word the index does not know, which may be a typo of one it does. */
  private isTypoCandidate(word: QueryWord): boolean {
    return !word.joined && !this.documentFrequency.has(word.term);
  }

  /** The words the index knows among `term` with two adjacent letters swapped ("bgas" → "bags"), which Levenshtein counts as 2 edits. */
  private knownTranspositions(term: string): string[] {
    return typoTranspositions(term).filter((variant) => this.documentFrequency.has(variant));
  }

  toJSON(): SerializedLexicalIndex {
    return {
      format: SNAPSHOT_FORMAT,
      analyzerVersion: LEXICAL_ANALYZER_VERSION,
      fields: LEXICAL_FIELD_NAMES,
      miniSearch: this.index.toJSON(),
      documentFrequencies: [...this.documentFrequency],
    };
  }
}

/** The options an index is built and loaded with (MiniSearch needs the same ones for both). */
function miniSearchOptions(tokenize: (text: string) => string[]): Options<LexicalDocument> {
  return {
    idField: 'id',
    fields: [...LEXICAL_FIELD_NAMES],
    storeFields: [],
    tokenize,
    // analyzeText already lower-cased, folded and filtered the terms.
    processTerm: (term) => term,
    searchOptions: { combineWith: 'OR', boost: { ...LEXICAL_FIELD_BOOSTS } },
  };
}

/** The results holding forms of the most words (`formsOf[i]`: the forms of word i), in their order. */
function mostWordsMatched(results: SearchResult[], formsOf: string[][]): SearchResult[] {
  const covered = results.map((result) => {
    const matched = new Set(result.queryTerms);
    return formsOf.filter((forms) => forms.some((form) => matched.has(form))).length;
  });
  const most = Math.max(0, ...covered);
  return results.filter((_, i) => covered[i] === most);
}

/** The best `limit` results; MiniSearch sorts by score only, so the ties at the cut are ordered by id. */
function topHits(results: SearchResult[], limit: number): LexicalHit[] {
  let end = Math.min(limit, results.length);
  while (end < results.length && results[end].score === results[end - 1].score) end++;
  return results
    .slice(0, end)
    .map((result) => ({ productId: String(result.id), score: result.score }))
    .sort((a, b) => b.score - a.score || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .slice(0, limit);
}
