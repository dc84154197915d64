/**
 * The keyword index's cache of common words' matches: for a query word many products hold
 * ("boot", "red", a brand), every product holding it with its score, as MiniSearch found them.
 *
 * Why: MiniSearch scores every product holding a word it is asked for, at about 5 µs a product
 * on a 100k catalog, so a one-word query for a category label costs tens of milliseconds, and the
 * same few hundred common words (categories, brands, colours) come back in most shoppers'
 * queries. A cached word costs a look-up per product instead. Rare words are cheap to search and
 * are not kept.
 *
 * When a word is kept: when it was searched over every product anyway (the query's rarest word,
 * no filter), so keeping it costs memory and no search. A word searched among fewer products
 * ("red" in "red dress", after "dress") is not searched over all of them to be kept: tried, and
 * each such search of a word most products hold cost more than the cache saved (a pasted
 * description's common words, p95 72 → 1,127 ms CPU at 100k products).
 *
 * Validity: the scores depend on every product (BM25's document frequencies and average field
 * lengths), so the index clears the cache on each write, and `stamp` (the indexes' counts of
 * removed products not yet vacuumed) clears it when a vacuum ends. While a vacuum runs scores
 * drift with each batch it cleans, so the index neither reads nor fills the cache then. While
 * removed or replaced products wait for a vacuum, a word is kept from its second full search
 * only (`mayShift`): MiniSearch's first search of a term drops the removed products' postings as
 * it walks them, lowering the document frequency midway, so the products it scored before that
 * point get scores no later search gives. So the cache serves while the catalog is quiet; during
 * a sync every write clears it, and a query costs what it costs without one.
 *
 * Bounds: at most `maxHeld` matches in all (least recently used words go first); a word with
 * fewer than `minMatches` matches is not kept. Each collection's index has its own cache, so a
 * store serving one generation while it builds the next holds two.
 */
export interface WordMatchCacheOptions {
  /** Matches a word needs to be kept (default 500). */
  minMatches: number;
  /** Matches kept over all words (default 500,000: about 80 MiB, at about 160 bytes a match, measured). */
  maxHeld: number;
}

/** Words remembered as searched once at most (then they are forgotten). */
const MAX_COUNTED_WORDS = 10_000;

export const DEFAULT_WORD_MATCH_CACHE_OPTIONS: Readonly<WordMatchCacheOptions> = Object.freeze({ minMatches: 500, maxHeld: 500_000 });

export class WordMatchCache<Match> {
  /** Words' matches, least recently used first (a Map keeps insertion order). */
  private readonly words = new Map<string, ReadonlyMap<string, Match>>();
  /** Words searched over every product once since the last clear, whose scores may have shifted midway. */
  private readonly searchedOnce = new Set<string>();
  private held = 0;
  private stamp: string | undefined;

  constructor(private readonly options: Readonly<WordMatchCacheOptions> = DEFAULT_WORD_MATCH_CACHE_OPTIONS) {
    if (!Number.isInteger(options.minMatches) || options.minMatches < 1 || !Number.isInteger(options.maxHeld) || options.maxHeld < options.minMatches) {
      throw new RangeError(`word match cache needs integers 1 ≤ minMatches ≤ maxHeld, got ${JSON.stringify(options)}`);
    }
  }

  /** Matches held, over all words. */
  get size(): number {
    return this.held;
  }

  /** Forgets every word (the index changed). */
  clear(): void {
    if (this.words.size > 0) this.words.clear();
    if (this.searchedOnce.size > 0) this.searchedOnce.clear();
    this.held = 0;
  }

  /** Clears the cache when `stamp` differs from the one it was filled under. */
  validate(stamp: string): void {
    if (stamp !== this.stamp) this.clear();
    this.stamp = stamp;
  }

  /** The word's matches, if kept (and marks it recently used). Never mutate them. */
  get(word: string): ReadonlyMap<string, Match> | undefined {
    const matches = this.words.get(word);
    if (matches) {
      this.words.delete(word);
      this.words.set(word, matches);
    }
    return matches;
  }

  /**
   * Keeps a word's matches over every product, if there are enough of them and they fit.
   * `mayShift`: the index holds removed products' postings, so a first search's scores may differ
   * from a second's; the word is then kept from its second search.
   */
  offer(word: string, matches: ReadonlyMap<string, Match>, mayShift: boolean): void {
    if (matches.size < this.options.minMatches || matches.size > this.options.maxHeld || this.words.has(word)) return;
    if (mayShift && !this.searchedOnce.has(word)) {
      if (this.searchedOnce.size >= MAX_COUNTED_WORDS) this.searchedOnce.clear();
      this.searchedOnce.add(word);
      return;
    }
    for (const [oldest, kept] of this.words) {
      if (this.held + matches.size <= this.options.maxHeld) break;
      this.words.delete(oldest);
      this.held -= kept.size;
    }
    this.words.set(word, matches);
    this.held += matches.size;
    this.searchedOnce.delete(word);
  }
}
