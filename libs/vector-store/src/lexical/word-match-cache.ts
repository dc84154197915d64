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
 * drift with each batch it cleans, so the index neither reads nor fills the cache then. So the
 * cache serves while the catalog is quiet; during a sync every write clears it, and a query
 * costs what it costs without one.
 *
 * Removed products: MiniSearch leaves their postings in place until it vacuums (once 10% of the
 * products are removed or replaced), and each search of a term takes one occurrence off as it
 * walks them, so its scores shift a little from one search to the next until they are gone (the
 * document frequency counts the removed products: Elasticsearch's counts deleted documents until
 * a merge in the same way). A kept word keeps the scores of the search that kept it.
 *
 * Bounds: at most `maxHeld` matches in all (least recently used words go first); a word with
 * fewer than `minMatches` matches is not kept. Each collection's index has its own cache, so a
 * store serving one generation while it builds the next holds two.
 */
export interface WordMatchCacheOptions {
  /** Matches a word needs to be kept (default 500). */
  minMatches: number;
  /** Matches kept over all words (default 800,000: about 80 MiB, at about 100 bytes a match, measured). */
  maxHeld: number;
}

export const DEFAULT_WORD_MATCH_CACHE_OPTIONS: Readonly<WordMatchCacheOptions> = Object.freeze({ minMatches: 500, maxHeld: 800_000 });

export class WordMatchCache<Match> {
  /** Words' matches, least recently used first (a Map keeps insertion order). */
  private readonly words = new Map<string, ReadonlyMap<string, Match>>();
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

  /** Keeps a word's matches over every product, if there are enough of them and they fit. */
  offer(word: string, matches: ReadonlyMap<string, Match>): void {
    if (matches.size < this.options.minMatches || matches.size > this.options.maxHeld || this.words.has(word)) return;
    for (const [oldest, kept] of this.words) {
      if (this.held + matches.size <= this.options.maxHeld) break;
      this.words.delete(oldest);
      this.held -= kept.size;
    }
    this.words.set(word, matches);
    this.held += matches.size;
  }
}
