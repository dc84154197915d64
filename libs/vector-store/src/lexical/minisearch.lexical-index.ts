/**
 * The embedded store's keyword index: MiniSearch (BM25+ ranking, radix-tree term dictionary for
 * typo and prefix lookups) over the product fields of LEXICAL_FIELDS, analyzed by the shared
 * analyzer, keyed by product id. It holds no product data, only terms.
 *
 * Two MiniSearch indexes share the fields: one over the catalog's text, one over the tag labels
 * alone (TAG_INDEX_FIELDS). A re-tag changes every product's labels and nothing else; with one
 * index over all fields each of those changes re-analyzed and re-indexed the product's whole text
 * (MiniSearch replaces documents, not fields), more than half a re-tag's time. Now it replaces a
 * document of a few words in the small index. The split does not change scores: MiniSearch scores
 * each field on its own (per-field document frequency and average length, the same product count
 * in both indexes, since every product has a document in each, an empty one when it has no tags)
 * and sums the fields' scores with their boosts, and this class sums the two indexes' scores the
 * same way (see combineWords).
 *
 * Matching is all-words-first, as e-commerce engines do it (Algolia requires every query word by
 * default): a search is an AND over the query's words, each word an OR of its forms
 * (analyzeQueryWords), so "Halcyon lamp" finds Halcyon lamps, not every lamp and every Halcyon
 * product. A word may be matched in either index ("striped shirt": "striped" a tag, "shirt" in
 * the title). Only when no product holds every word does a second, OR search run, keeping the
 * products that hold the most words. A product's score is multiplied by the number of query
 * terms it matched, as MiniSearch does. Typo and prefix matches count less than exact ones
 * (MiniSearch's weights 0.45 and 0.375).
 *
 * Cost: MiniSearch scores every product holding a word it is asked for (its postings, with a
 * result object each), which is most of a query's time on a large catalog. So the words are
 * searched one at a time, the one fewest products hold first (`estimates`), and each later word
 * only among the products holding every word before it, through MiniSearch's `boostDocument`: a
 * product it gives 0 is skipped before it is scored. A common word ("red", "shirt") then costs a
 * walk over its postings instead of a score per product; a pasted description of thirty words
 * costs about what its rarest word does. A filter is applied the same way, before scoring. The
 * scores are those of each word searched in full (a test compares them with MiniSearch's own AND
 * query). A common word searched over every product is kept, with every product's score, until
 * the index next changes (WordMatchCache): the shoppers' common words (categories, brands,
 * colours) then cost a look-up per product instead of a score.
 *
 * Beside MiniSearch each index keeps its terms' document frequencies (statistics MiniSearch does
 * not expose), so a query word either index knows is matched exactly and only unknown words pay
 * for the typo search: expanding every 4+ letter word to its edit-distance neighbours was most of
 * a query's time (see bench/lexical-index.bench.ts). An unknown word matches its edit-distance
 * neighbours (typoTolerance) and the known words one adjacent swap away (typoTranspositions,
 * which Levenshtein counts as two edits), each of them searched as a word of its own (see
 * wordParts; the neighbours come from a radix tree of each index's letter-only terms). A known
 * word can still be a typo of another known word ("boats" for "boots"); that one is matched as typed.
 *
 * Removal uses MiniSearch's `discard`: the product stops matching at once, and its postings are
 * vacuumed later (automatically, in batches, once 10% of the products are discarded). Until then
 * the discarded postings still count in the document frequencies BM25+ takes its idf from, which
 * shifts scores slightly but never the set of products found.
 */
import MiniSearch, { type Options, type Query, type SearchOptions, type SearchResult } from 'minisearch';
import SearchableMap from 'minisearch/SearchableMap';
import { LEXICAL_FIELD_BOOSTS, LEXICAL_FIELD_NAMES, lexicalTextByField, tagsText, type LexicalFieldName, type LexicalProductText } from './lexical-fields';
import { LEXICAL_ANALYZER_VERSION, analyzeQueryWords, analyzeText, type QueryWord } from './tokenizer';
import { DEFAULT_WORD_MATCH_CACHE_OPTIONS, WordMatchCache, type WordMatchCacheOptions } from './word-match-cache';

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

/** What `toJSON` writes: each index's MiniSearch snapshot, labelled with the analyzer that made its terms. */
export interface SerializedLexicalIndex {
  format: typeof SNAPSHOT_FORMAT;
  analyzerVersion: number;
  fields: readonly string[];
  indexes: SerializedFieldGroup[];
}

/** One MiniSearch index of a snapshot: the fields it holds, MiniSearch's own snapshot, its terms' document frequencies. */
export interface SerializedFieldGroup {
  fields: readonly LexicalFieldName[];
  miniSearch: ReturnType<MiniSearch['toJSON']>;
  /** Document frequency per term, as [term, products] pairs. */
  documentFrequencies: Array<[string, number]>;
}

type LexicalDocument = { id: string } & FieldTexts;
/** Texts of some of the indexed fields, as lexicalTextByField makes them. */
type FieldTexts = Partial<Record<LexicalFieldName, string>>;

const SNAPSHOT_FORMAT = 'vsearch.lexical-index.minisearch.v3';

/**
 * Fields indexed apart from the catalog's text: they change without it (a re-tag rewrites every
 * product's labels), and a small document is cheap to replace.
 */
export const TAG_INDEX_FIELDS: readonly LexicalFieldName[] = Object.freeze(['tags']);

/** Which fields each MiniSearch index holds: every field in exactly one. */
export type LexicalFieldGroups = ReadonlyArray<readonly LexicalFieldName[]>;

/** The catalog's text in one index, the tag labels in another. */
export const DEFAULT_FIELD_GROUPS: LexicalFieldGroups = Object.freeze([
  Object.freeze(LEXICAL_FIELD_NAMES.filter((field) => !TAG_INDEX_FIELDS.includes(field))),
  TAG_INDEX_FIELDS,
]);
const MAX_LIMIT = 10_000;
/** Label texts whose terms the tag index remembers at most (then it starts over): a bound on memory, far above a taxonomy's combinations. */
const MAX_ANALYZED_TEXTS = 10_000;
/** The last query word is only prefix-matched from this length: "t" would match a tenth of the dictionary. */
const MIN_PREFIX_LENGTH = 3;
const HAS_DIGIT = /\p{N}/u;
/** Share of the products a prefix-expanded query word is guessed to match, to order it among the query's words. */
const EXPANDED_WORD_GUESS = 0.01;
/** MiniSearch's weight of a fuzzy match (its default `weights.fuzzy`), times term length ÷ (length + distance) as it applies it. */
const FUZZY_WEIGHT = 0.45;

/**
 * Typos forgiven in a query word the index does not know: none below 4 letters (too many
 * neighbours: "bag"/"bat"/"big"), 1 edit for 4 to 7 letters ("lmap" is not a word, "lamp" is
 * one edit away), 2 for 8 or more ("bakcpack" → "backpack" is two substitutions). Only unknown
 * words are fuzzy, so "shoe" is never read as "show". Words with a digit are model numbers and
 * sizes: never fuzzy, and never a typo's neighbour ("lamp" does not find "lamp2").
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
  /** The catalog text's index first: a query no other index matches is answered by it alone. */
  private readonly groups: FieldGroupIndex[];
  /** Common words' matches over every product, until the next write (see word-match-cache.ts). */
  private readonly wordCache: WordMatchCache<WordMatch>;

  /**
   * `fieldGroups`: which fields each MiniSearch index holds (the default keeps the tag labels
   * apart; one group of every field is the single index this class used to be, which scores the same).
   * `wordCache`: which words' matches are kept, and how many in all.
   */
  constructor(
    fieldGroups: LexicalFieldGroups = DEFAULT_FIELD_GROUPS,
    snapshots?: readonly SerializedFieldGroup[],
    wordCache: Readonly<WordMatchCacheOptions> = DEFAULT_WORD_MATCH_CACHE_OPTIONS,
  ) {
    assertPartitionOfFields(fieldGroups);
    this.groups = fieldGroups.map((fields, i) => new FieldGroupIndex(fields, snapshots?.[i]));
    this.wordCache = new WordMatchCache(wordCache);
  }

  /** Loads what `toJSON` wrote (as a JSON string or parsed); refuses a snapshot of another format, analyzer version or fields. */
  static loadJSON(snapshot: string | SerializedLexicalIndex): MiniSearchLexicalIndex {
    const parsed: unknown = typeof snapshot === 'string' ? JSON.parse(snapshot) : snapshot;
    const candidate = parsed as Partial<SerializedLexicalIndex> | null;
    if (!candidate || typeof candidate !== 'object' || candidate.format !== SNAPSHOT_FORMAT || !Array.isArray(candidate.indexes)) {
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
    if (candidate.indexes.some((group) => !group?.miniSearch || !Array.isArray(group.documentFrequencies))) {
      throw new Error('lexical index snapshot has an index without its MiniSearch snapshot or document frequencies: rebuild it from the products');
    }
    return new MiniSearchLexicalIndex(
      candidate.indexes.map((group) => group.fields),
      candidate.indexes,
    );
  }

  /** Products indexed. */
  get size(): number {
    return this.groups[0].miniSearch.documentCount;
  }

  /** Word matches the word cache holds (for metrics and tests). */
  get wordCacheSize(): number {
    return this.wordCache.size;
  }

  has(productId: string): boolean {
    return this.groups[0].miniSearch.has(productId);
  }

  /**
   * Products holding `term` (an analyzed term), counted once per index that holds it there (a
   * product with the word in its title and as a tag counts twice): zero exactly when no product holds it.
   */
  documentFrequencyOf(term: string): number {
    return this.groups.reduce((sum, group) => sum + (group.documentFrequency.get(term) ?? 0), 0);
  }

  /**
   * Indexes a product's text, replacing what was indexed for that id before. `previous` is the
   * text indexed before, when there was one: an index whose fields kept their text is left as it
   * is (a re-tag only touches the tag index). Without it every index is rewritten and the
   * replaced terms' document frequencies stay counted (they only steer which words get a typo search).
   */
  upsert(productId: string, product: LexicalProductText, previous?: LexicalProductText): void {
    if (typeof productId !== 'string' || productId === '')
      throw new TypeError(`a lexical index entry needs a non-empty product id, got ${JSON.stringify(productId)}`);
    this.wordCache.clear();
    const texts = lexicalTextByField(product);
    const before = previous && this.has(productId) ? lexicalTextByField(previous) : undefined;
    for (const group of this.groups) {
      if (before && group.fields.every((field) => texts[field] === before[field])) continue;
      group.replace(productId, texts, before);
    }
  }

  /**
   * Re-indexes an indexed product's tag labels alone (a re-tag): `upsert` with only the labels
   * changed, without building the product's other texts. False when the product is not indexed.
   */
  replaceTags(productId: string, labels: readonly string[], previousLabels: readonly string[]): boolean {
    if (!this.has(productId)) return false;
    const group = this.groups.find((candidate) => candidate.fields.includes('tags'))!;
    if (group.fields.length > 1) throw new Error(`tags share a keyword index with ${JSON.stringify(group.fields)}: re-index them with upsert`);
    const tags = tagsText(labels);
    const before = tagsText(previousLabels);
    if (tags === before) return true;
    this.wordCache.clear();
    group.replace(productId, { tags }, { tags: before });
    return true;
  }

  /** Removes a product (`previous`: its indexed text, see `upsert`); false when it was not indexed. */
  remove(productId: string, previous?: LexicalProductText): boolean {
    if (!this.has(productId)) return false;
    this.wordCache.clear();
    const before = previous ? lexicalTextByField(previous) : undefined;
    for (const group of this.groups) group.discard(productId, before);
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
    // A word's forms, plus the known words one adjacent swap away from an unknown typed word.
    const typoCandidates = words.map((word) => this.isTypoCandidate(word));
    const formsOf = words.map((word, i) => (typoCandidates[i] ? [...word.forms, ...this.knownTranspositions(word.term)] : word.forms));
    const typos = words.map((word, i) => (typoCandidates[i] ? typoTolerance(word.term) : 0));
    const prefixed = words.map((word, i) => options.prefixLastTerm === true && i === words.length - 1 && !word.joined && word.term.length >= MIN_PREFIX_LENGTH);
    const parts = words.map((word, i) => this.wordParts(word, formsOf[i], typos[i], prefixed[i]));
    const estimates = parts.map((wordParts, i) => {
      const holding = wordParts.reduce((sum, part) => sum + part.holding, 0);
      return prefixed[i] ? Math.max(holding, Math.ceil(this.size * EXPANDED_WORD_GUESS)) : holding;
    });
    const accept = options.accept;
    const cacheUsable = this.validateWordCache();
    /**
     * A part's matches among `among` (the products holding the words searched before it, filtered)
     * or, without it, among the products the filter accepts: from the word cache, or searched.
     */
    const partMatches = (part: WordPart, among?: ReadonlyMap<string, WordMatch>): ReadonlyMap<string, WordMatch> => {
      const cached = cacheUsable ? this.wordCache.get(part.key) : undefined;
      if (cached) return among ? intersection(cached, among) : accept ? accepted(cached, accept) : cached;
      if (among || accept) return this.searchPart(part, among ? (id) => among.has(id) : accept);
      const all = this.searchPart(part);
      if (cacheUsable) this.wordCache.offer(part.key, all);
      return all;
    };
    const matchesOf = (i: number, among?: ReadonlyMap<string, WordMatch>): ReadonlyMap<string, WordMatch> => {
      const [only, ...more] = parts[i];
      if (more.length === 0 && !only.countsAs) return partMatches(only, among);
      return mergedParts(distinctParts(parts[i]).map(({ part, weight, countsAs }) => ({ weight, countsAs, matches: partMatches(part, among) })));
    };

    // Every word, the rarest first, each only among the products still in (see "Cost" above).
    const perWord: Array<ReadonlyMap<string, WordMatch>> = new Array(words.length);
    let among: ReadonlyMap<string, WordMatch> | undefined;
    for (const i of words.map((_, i) => i).sort((a, b) => estimates[a] - estimates[b] || a - b)) {
      among = perWord[i] = matchesOf(i, among);
      if (among.size === 0) break;
    }
    if (among!.size > 0 || words.length === 1) {
      const all = combineWords(perWord, 'AND');
      return { hits: topHits(all, options.limit), matched: all.length };
    }
    // No product holds every word: those holding the most, from every word's matches.
    const some = mostWordsMatched(
      combineWords(
        words.map((_, i) => matchesOf(i)),
        'OR',
      ),
      formsOf,
    );
    return { hits: topHits(some, options.limit), matched: some.length };
  }

  /**
   * The MiniSearch queries a query word is searched by. A word the index knows, or one matched by
   * prefix, is one query: its forms, each expanded as MiniSearch does it. An unknown word with a
   * typo tolerance is its forms (its typed term and the known words a swap away) plus one query per
   * known word within its edit distance, weighted as MiniSearch weights a fuzzy match and counted
   * as the typed term: the score MiniSearch's own fuzzy search gives, but each neighbour is a word
   * of its own in the word cache, so "paiuvlabro" and "piavulabro" share "paivulabro"'s matches.
   */
  private wordParts(word: QueryWord, forms: readonly string[], typos: number, prefixed: boolean): WordPart[] {
    if (typos === 0 || prefixed) {
      const query: Query = {
        queries: [forms.join(' ')],
        combineWith: 'OR',
        fuzzy: (term: string) => (term === word.term && typos > 0 ? typos : false),
        prefix: (term: string) => prefixed && term === word.term,
      };
      const holding = forms.reduce((sum, form) => sum + this.documentFrequencyOf(form), 0);
      return [{ key: `${forms.join(' ')}|${typos}|${prefixed ? 'prefix' : ''}`, query, weight: 1, holding }];
    }
    const exactly = (term: string, weight: number, countsAs: string): WordPart => ({
      key: `${term}|0|`,
      query: term,
      weight,
      countsAs: [countsAs],
      holding: this.documentFrequencyOf(term),
    });
    return [
      // Each form on its own too: a known word a swap away is often also a neighbour (the same matches, kept once).
      ...forms.map((form) => exactly(form, 1, form)),
      ...[...this.typoNeighbours(word.term, typos)].map(([term, distance]) =>
        exactly(term, (FUZZY_WEIGHT * term.length) / (term.length + distance), word.term),
      ),
    ];
  }

  /** The known words within `maxDistance` edits of `term` (not `term` itself), with their distance. */
  private typoNeighbours(term: string, maxDistance: number): Map<string, number> {
    const neighbours = new Map<string, number>();
    for (const group of this.groups) {
      for (const [neighbour, [, distance]] of group.dictionary.fuzzyGet(term, maxDistance)) {
        if (distance > 0) neighbours.set(neighbour, Math.min(distance, neighbours.get(neighbour) ?? distance));
      }
    }
    return neighbours;
  }

  /**
   * A part's matches in every index, among the products `admit` accepts: MiniSearch skips a
   * product whose boost is 0 before scoring it, so a product left out costs a look-up, not a score.
   */
  private searchPart(part: WordPart, admit?: (productId: string) => boolean): Map<string, WordMatch> {
    const options: SearchOptions = {
      // The query is already analyzed: its terms go in as they are, one per space.
      tokenize: (text) => text.split(' '),
      processTerm: (term) => term,
      ...(admit ? { boostDocument: (id: string) => (admit(id) ? 1 : 0) } : {}),
    };
    return wordMatches(this.groups.map((group) => group.miniSearch.search(part.query, options)));
  }

  /**
   * Clears the word cache if a vacuum ended since it was filled; false while one runs (each of
   * its batches shifts scores, so the cache is neither read nor filled).
   */
  private validateWordCache(): boolean {
    if (this.groups.some((group) => group.miniSearch.isVacuuming)) return false;
    this.wordCache.validate(this.groups.map((group) => group.miniSearch.dirtCount).join(' '));
    return true;
  }

  /** A typed word no index knows, which may be a typo of one an index does. */
  private isTypoCandidate(word: QueryWord): boolean {
    return !word.joined && !this.isKnown(word.term);
  }

  private isKnown(term: string): boolean {
    return this.groups.some((group) => group.documentFrequency.has(term));
  }

  /** The words an index knows among `term` with two adjacent letters swapped ("bgas" → "bags"), which Levenshtein counts as 2 edits. */
  private knownTranspositions(term: string): string[] {
    return typoTranspositions(term).filter((variant) => this.isKnown(variant));
  }

  toJSON(): SerializedLexicalIndex {
    return {
      format: SNAPSHOT_FORMAT,
      analyzerVersion: LEXICAL_ANALYZER_VERSION,
      fields: LEXICAL_FIELD_NAMES,
      indexes: this.groups.map((group) => group.toJSON()),
    };
  }
}

/** One MiniSearch index over some of the fields, with its terms' document frequencies. */
class FieldGroupIndex {
  readonly miniSearch: MiniSearch<LexicalDocument>;
  /** Products holding each term (in any of this index's fields). */
  readonly documentFrequency: Map<string, number>;
  /**
   * The terms of documentFrequency without a digit, as a radix tree, for typo look-ups (MiniSearch
   * keeps its own tree private). Only new and vanished terms touch it, a few per product. Terms
   * with a digit (model numbers, sizes) are matched exactly or not at all, never as a typo's
   * neighbour; they are most of a catalog's terms (72% of 139k at 100k synthetic products: the
   * tree held them all in 48 MiB).
   */
  readonly dictionary: SearchableMap<true>;
  /** While a document is added: its distinct terms, collected by the tokenizer MiniSearch calls. */
  private termsOfAdded: Set<string> | undefined;

  /**
   * Terms of texts already analyzed, for an index of tag labels only: a catalog's label texts are
   * a few hundred combinations of its labels, each analyzed again for every product of a re-tag otherwise.
   */
  private readonly analyzedTexts: Map<string, string[]> | undefined;

  constructor(
    readonly fields: readonly LexicalFieldName[],
    snapshot?: SerializedFieldGroup,
  ) {
    this.analyzedTexts = fields.every((field) => TAG_INDEX_FIELDS.includes(field)) ? new Map() : undefined;
    const options = miniSearchOptions(fields, (text) => {
      const terms = this.analyze(text);
      if (this.termsOfAdded) for (const term of terms) this.termsOfAdded.add(term);
      return terms;
    });
    this.miniSearch = snapshot ? MiniSearch.loadJS<LexicalDocument>(snapshot.miniSearch, options) : new MiniSearch<LexicalDocument>(options);
    this.documentFrequency = new Map(snapshot?.documentFrequencies ?? []);
    this.dictionary = new SearchableMap<true>();
    for (const term of this.documentFrequency.keys()) this.addToDictionary(term);
  }

  /** Indexes this index's fields of `texts` for the product, replacing its document (`before`: the texts indexed before, if known). */
  replace(productId: string, texts: FieldTexts, before: FieldTexts | undefined): void {
    const document: LexicalDocument = { id: productId };
    for (const field of this.fields) document[field] = texts[field];
    this.discard(productId, before);
    this.termsOfAdded = new Set();
    try {
      this.miniSearch.add(document);
      for (const term of this.termsOfAdded) {
        const count = this.documentFrequency.get(term) ?? 0;
        this.documentFrequency.set(term, count + 1);
        if (count === 0) this.addToDictionary(term);
      }
    } finally {
      this.termsOfAdded = undefined;
    }
  }

  discard(productId: string, before: FieldTexts | undefined): void {
    if (!this.miniSearch.has(productId)) return;
    this.miniSearch.discard(productId);
    if (!before) return;
    const terms = new Set(this.fields.flatMap((field) => this.analyze(before[field] ?? '')));
    for (const term of terms) {
      const count = (this.documentFrequency.get(term) ?? 0) - 1;
      if (count > 0) this.documentFrequency.set(term, count);
      else {
        this.documentFrequency.delete(term);
        this.dictionary.delete(term);
      }
    }
  }

  /** Adds a term the index did not hold to the typo dictionary, unless it has a digit (see `dictionary`). */
  private addToDictionary(term: string): void {
    if (!HAS_DIGIT.test(term)) this.dictionary.set(term, true);
  }

  private analyze(text: string): string[] {
    if (!this.analyzedTexts) return analyzeText(text);
    let terms = this.analyzedTexts.get(text);
    if (!terms) {
      if (this.analyzedTexts.size >= MAX_ANALYZED_TEXTS) this.analyzedTexts.clear();
      this.analyzedTexts.set(text, (terms = analyzeText(text)));
    }
    return terms;
  }

  toJSON(): SerializedFieldGroup {
    return { fields: this.fields, miniSearch: this.miniSearch.toJSON(), documentFrequencies: [...this.documentFrequency] };
  }
}

/** The options an index is built and loaded with (MiniSearch needs the same ones for both). */
function miniSearchOptions(fields: readonly LexicalFieldName[], tokenize: (text: string) => string[]): Options<LexicalDocument> {
  return {
    idField: 'id',
    fields: [...fields],
    storeFields: [],
    tokenize,
    // analyzeText already lower-cased, folded and filtered the terms.
    processTerm: (term) => term,
    searchOptions: { combineWith: 'OR', boost: Object.fromEntries(fields.map((field) => [field, LEXICAL_FIELD_BOOSTS[field]])) },
  };
}

function assertPartitionOfFields(fieldGroups: LexicalFieldGroups): void {
  const listed = fieldGroups.flat();
  const exact = listed.length === LEXICAL_FIELD_NAMES.length && LEXICAL_FIELD_NAMES.every((field) => listed.includes(field));
  if (!exact || fieldGroups.some((fields) => fields.length === 0)) {
    throw new Error(`lexical index field groups must hold each of ${JSON.stringify(LEXICAL_FIELD_NAMES)} once, none empty: got ${JSON.stringify(fieldGroups)}`);
  }
}

/** One MiniSearch query of a query word (see wordParts). */
interface WordPart {
  /** The word cache's key: the query and how it expands, what its matches depend on besides the index. */
  key: string;
  query: Query;
  /** Factor on its scores: MiniSearch's weight of a typo match of its term, 1 for the word's own forms. */
  weight: number;
  /** The query terms its matches count as (a typo neighbour's: the typed term); unset for a word's one query: what MiniSearch reports. */
  countsAs?: readonly string[];
  /** Products holding its terms, counted once per index (before expansion by typo or prefix). */
  holding: number;
}

/** A product's match of a query (or of one word of it): its score and the query terms it matched. */
interface ScoredMatch {
  id: string;
  score: number;
  queryTerms: readonly string[];
}

/**
 * A product's match of one query word, over all indexes: the score before MiniSearch's
 * multiplication by the terms matched, and the distinct query terms matched (an array shared
 * with MiniSearch's result, or a new one once a second index adds a term: never mutated).
 */
interface WordMatch {
  unscaled: number;
  queryTerms: readonly string[];
}

/**
 * One word's matches in each index (MiniSearch results of the same word query) as one map: a
 * product's scores in the indexes summed, as MiniSearch sums its fields' scores. MiniSearch
 * multiplied each result by the query terms it matched; that is undone here, and done once over
 * the whole query by combineWords.
 */
export function wordMatches(resultsPerIndex: ReadonlyArray<readonly SearchResult[]>): Map<string, WordMatch> {
  const matches = new Map<string, WordMatch>();
  // MiniSearch gives each result an array of its query terms; matches share one per distinct list
  // (a word has a few), which a kept word's matches would otherwise hold one each of.
  const sharedTerms = new Map<string, readonly string[]>();
  for (const results of resultsPerIndex) {
    for (const result of results) {
      const id = String(result.id);
      const unscaled = result.score / (result.queryTerms.length || 1);
      const known = matches.get(id);
      if (!known) {
        const key = result.queryTerms.length === 1 ? result.queryTerms[0] : result.queryTerms.join(' ');
        let queryTerms = sharedTerms.get(key);
        if (!queryTerms) sharedTerms.set(key, (queryTerms = result.queryTerms));
        matches.set(id, { unscaled, queryTerms });
      } else {
        known.unscaled += unscaled;
        known.queryTerms = withTerms(known.queryTerms, result.queryTerms);
      }
    }
  }
  return matches;
}

/**
 * The query's matches from its words' matches, as MiniSearch combines the word queries of one
 * index: AND keeps the products matching every word, OR those matching any; a product's score is
 * the sum of its word scores (in word order) times the distinct query terms it matched. Unordered.
 */
export function combineWords(perWord: ReadonlyArray<ReadonlyMap<string, WordMatch>>, combineWith: 'AND' | 'OR'): ScoredMatch[] {
  // AND: the products of the word with the fewest matches, each looked up in the other words' matches.
  const fewest = perWord.reduce((least, matches) => (matches.size < least.size ? matches : least));
  const ids = combineWith === 'AND' ? fewest.keys() : new Set(perWord.flatMap((matches) => [...matches.keys()])).values();
  const results: ScoredMatch[] = [];
  for (const id of ids) {
    let unscaled = 0;
    let queryTerms: readonly string[] = [];
    let matchedEvery = true;
    for (const matches of perWord) {
      const match = matches.get(id);
      if (!match) {
        matchedEvery = false;
        if (combineWith === 'AND') break;
        continue;
      }
      unscaled += match.unscaled;
      queryTerms = withTerms(queryTerms, match.queryTerms);
    }
    if (combineWith === 'AND' && !matchedEvery) continue;
    results.push({ id, score: unscaled * (queryTerms.length || 1), queryTerms });
  }
  return results;
}

/**
 * A word's parts with one per cache key: a known word a swap away from a typo is often also its
 * neighbour, one query counted twice (weights summed, both query terms), so its matches are
 * fetched and walked once.
 */
function distinctParts(parts: readonly WordPart[]): Array<{ part: WordPart; weight: number; countsAs: readonly string[] }> {
  const byKey = new Map<string, { part: WordPart; weight: number; countsAs: readonly string[] }>();
  for (const part of parts) {
    const known = byKey.get(part.key);
    if (!known) byKey.set(part.key, { part, weight: part.weight, countsAs: part.countsAs ?? [] });
    else {
      known.weight += part.weight;
      known.countsAs = withTerms(known.countsAs, part.countsAs ?? []);
    }
  }
  return [...byKey.values()];
}

/** A word's matches from its parts' (see wordParts): weighted scores summed, query terms merged, as wordMatches does for indexes. */
function mergedParts(parts: ReadonlyArray<{ weight: number; countsAs: readonly string[]; matches: ReadonlyMap<string, WordMatch> }>): Map<string, WordMatch> {
  const merged = new Map<string, WordMatch>();
  for (const { weight, countsAs, matches } of parts) {
    for (const [id, match] of matches) {
      const known = merged.get(id);
      if (!known) merged.set(id, { unscaled: match.unscaled * weight, queryTerms: countsAs });
      else {
        known.unscaled += match.unscaled * weight;
        known.queryTerms = withTerms(known.queryTerms, countsAs);
      }
    }
  }
  return merged;
}

/** A word's matches (`matches`) among the products of `among`, walking the smaller of the two. */
function intersection(matches: ReadonlyMap<string, WordMatch>, among: ReadonlyMap<string, unknown>): Map<string, WordMatch> {
  const kept = new Map<string, WordMatch>();
  if (among.size < matches.size) {
    for (const id of among.keys()) {
      const match = matches.get(id);
      if (match) kept.set(id, match);
    }
  } else {
    for (const [id, match] of matches) if (among.has(id)) kept.set(id, match);
  }
  return kept;
}

/** A word's matches among the products `accept` accepts. */
function accepted(matches: ReadonlyMap<string, WordMatch>, accept: (productId: string) => boolean): Map<string, WordMatch> {
  const kept = new Map<string, WordMatch>();
  for (const [id, match] of matches) if (accept(id)) kept.set(id, match);
  return kept;
}

/** `terms` with those of `more` it lacks: `terms` itself when it lacks none (arrays of a few terms). */
function withTerms(terms: readonly string[], more: readonly string[]): readonly string[] {
  if (terms.length === 0) return more;
  let merged: string[] | undefined;
  for (const term of more) {
    if (terms.includes(term) || merged?.includes(term)) continue;
    (merged ??= [...terms]).push(term);
  }
  return merged ?? terms;
}

/** The results holding forms of the most words (`formsOf[i]`: the forms of word i), in their order. */
function mostWordsMatched<Result extends Pick<ScoredMatch, 'queryTerms'>>(results: Result[], formsOf: string[][]): Result[] {
  const covered = results.map((result) => {
    const matched = new Set(result.queryTerms);
    return formsOf.filter((forms) => forms.some((form) => matched.has(form))).length;
  });
  const most = covered.reduce((max, count) => Math.max(max, count), 0);
  return results.filter((_, i) => covered[i] === most);
}

/**
 * Hits picked without sorting every match at most: each pick that beats one kept shifts the kept
 * ones, so for a deep ranking (a cut-off's 10,000: up to 10,000 × 10,000 shifts) sorting them all
 * is cheaper.
 */
const MAX_SELECTED = 1_000;

/** The best `limit` results, best score first, equal scores by product id. */
function topHits(results: readonly ScoredMatch[], limit: number): LexicalHit[] {
  const best = limit <= MAX_SELECTED && results.length > 4 * limit ? bestOf(results, limit) : [...results].sort(betterFirst).slice(0, limit);
  return best.map((result) => ({ productId: result.id, score: result.score }));
}

/** Orders results best score first, equal scores by product id. */
function betterFirst(a: ScoredMatch, b: ScoredMatch): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The best `limit` of many results, in order, without sorting them all (a one-word query for a
 * common word matches thousands, and fusion takes a hundred): most results are worse than the
 * last one kept and cost one comparison.
 */
function bestOf(results: readonly ScoredMatch[], limit: number): ScoredMatch[] {
  const best = results.slice(0, limit).sort(betterFirst);
  for (let i = limit; i < results.length; i++) {
    const result = results[i];
    if (best.length === limit && betterFirst(result, best[limit - 1]) >= 0) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (betterFirst(best[middle], result) <= 0) low = middle + 1;
      else high = middle;
    }
    best.splice(low, 0, result);
    if (best.length > limit) best.pop();
  }
  return best;
}
