/**
 * The lexical analyzer: the one function that turns text into terms, on the index side (product
 * text) and on the query side (what a shopper typed), in both stores (MiniSearch in the embedded
 * store, sparse vectors in Qdrant). A term is only ever found if both sides made it the same way,
 * so nothing else in the code base may lower-case, split or filter lexical text.
 *
 * What it does, in this order:
 * 1. Cuts the text to `maxChars` (index side 100,000, query side 4,096), so a 10 KB paste costs
 *    what 4 KB does.
 * 2. Decomposes (Unicode NFKD), lower-cases and drops every combining mark (`\p{M}`): "Crème"
 *    → "creme", "ＴＳＨＩＲＴ" → "tshirt", "ﬁt" → "fit", "İ" → "i". Letters without a decomposition stay
 *    as they are ("ß", "ø", Arabic, Hebrew, CJK).
 * 3. Deletes apostrophes inside words ("Levi's" → "levis", "men’s" → "mens").
 * 4. Finds words: runs of letters and digits (`\p{L}`, `\p{N}`), where a hyphen (`-`, U+2010,
 *    U+2011) between two such runs keeps them in one compound word. Everything else separates
 *    words: spaces, punctuation, symbols, emoji. There is no word segmentation for scripts
 *    written without spaces: a run of CJK characters is one word.
 * 5. Drops stop words ({@link STOP_WORDS}: a short English list of words that match almost every
 *    product). Every term is cut to {@link MAX_TERM_LENGTH} characters.
 * 6. Makes every spelling of a compound meet: a compound emits its parts and its parts joined
 *    ("t-shirt" → "t", "shirt", "tshirt"); two words separated only by spaces or tabs (not by a
 *    line break: list values go one per line and must not join) emit their
 *    join too ("T Shirt" → "t", "shirt", "tshirt") when one of them has at most
 *    {@link SHORT_WORD_LENGTH} characters (index and query side), or always (query side, so
 *    "back pack" finds "backpack"). Stop words and compounds do not join with their neighbours,
 *    nor a word with itself ("red red").
 *    So "t-shirt", "T-Shirt", "T Shirt", "t shirt" and "tshirt" all share the term "tshirt".
 * 7. Stops after `maxTerms` terms (index side 10,000 per text, query side
 *    {@link MAX_QUERY_TERMS} distinct terms).
 *
 * It never throws on any string (emoji, right-to-left text, lone surrogates, 10 KB of text) and
 * returns no terms for text without letters or digits. Changing any of the above changes which
 * terms a stored index holds: bump {@link LEXICAL_ANALYZER_VERSION} so stored indexes are rebuilt.
 */

/** Version of the rules above; a lexical index built with another version must be rebuilt. */
export const LEXICAL_ANALYZER_VERSION = 1;

/** Longest term kept; longer words (serial numbers, run-on text) are cut to this length. */
export const MAX_TERM_LENGTH = 40;

/** Distinct terms a query is reduced to at most. */
export const MAX_QUERY_TERMS = 64;

/** Words this short join their neighbour on the index side too ("T Shirt", "e bike", "wi fi"). */
export const SHORT_WORD_LENGTH = 2;

/** Words that match almost every product and tell nothing about what is wanted. */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'from',
  'if',
  'in',
  'into',
  'is',
  'it',
  'its',
  'of',
  'on',
  'or',
  'so',
  'that',
  'the',
  'their',
  'this',
  'to',
  'was',
  'were',
  'will',
  'with',
]);

const INDEX_LIMITS = Object.freeze({ maxChars: 100_000, maxTerms: 10_000 });
const QUERY_LIMITS = Object.freeze({ maxChars: 4_096, maxTerms: MAX_QUERY_TERMS });

/** One term of an analyzed query. */
export interface QueryTerm {
  term: string;
  /** Made by joining words ("tshirt" from "t shirt"), not typed as such: not worth a typo search. */
  joined: boolean;
}

const WORD = /[\p{L}\p{N}]+(?:[-\u2010\u2011][\p{L}\p{N}]+)*/gu;
const HYPHEN = /[-\u2010\u2011]/u;
const COMBINING_MARKS = /\p{M}+/gu;
const APOSTROPHE_IN_WORD = /(?<=[\p{L}\p{N}])['\u2019\u02bc](?=[\p{L}\p{N}])/gu;
/** Spaces and tabs: words separated by these (not by a line break or punctuation) are adjacent. */
const SPACES_ONLY = /^[\p{Zs}\t]+$/u;

/**
 * The terms of a product text, in text order with repeats (the index counts term frequency).
 * Adjacent words join only when one of them is short.
 */
export function analyzeText(text: string): string[] {
  const terms: string[] = [];
  forEachTerm(text, INDEX_LIMITS, 'short', (term) => {
    terms.push(term);
    return terms.length < INDEX_LIMITS.maxTerms;
  });
  return terms;
}

/**
 * The distinct terms of a query, in query order, at most {@link MAX_QUERY_TERMS}. Every pair of
 * adjacent words is also tried joined ("back pack" → "backpack").
 */
export function analyzeQuery(text: string): QueryTerm[] {
  const terms = new Map<string, QueryTerm>();
  forEachTerm(text, QUERY_LIMITS, 'all', (term, joined) => {
    const known = terms.get(term);
    if (!known) terms.set(term, { term, joined });
    else if (!joined) known.joined = false; // Also typed as a word: it may have typos like any word.
    return terms.size < QUERY_LIMITS.maxTerms;
  });
  return [...terms.values()];
}

/**
 * One word of a query as a search must match it: a typed word, or one part of a hyphenated
 * compound, with every term that satisfies it.
 */
export interface QueryWord {
  /** The word as analyzed. */
  term: string;
  /**
   * Terms any one of which matches the word: the word itself and the joins it is part of
   * ("t-shirt": "t" and "shirt" each with "tshirt"; "back pack": "back" and "pack" each with
   * "backpack"), so every spelling of a compound satisfies each of its parts.
   */
  forms: string[];
  /** Not typed as such (a compound of stop words only, "of-the"): not worth a typo search. */
  joined: boolean;
}

/**
 * The distinct words of a query, in query order, for all-words matching: a product matches the
 * query when it holds a form of every word. The words' forms are exactly the terms of
 * {@link analyzeQuery} (same cut at {@link MAX_QUERY_TERMS}); stop words are no words.
 */
export function analyzeQueryWords(text: string): QueryWord[] {
  const words = new Map<string, QueryWord>();
  const seenTerms = new Set<string>();
  const addForm = (word: string, form: string, joined: boolean) => {
    const known = words.get(word);
    if (!known) words.set(word, { term: word, forms: [form], joined });
    else {
      if (!known.forms.includes(form)) known.forms.push(form);
      if (!joined) known.joined = false;
    }
  };
  forEachTerm(text, QUERY_LIMITS, 'all', (term, joined, parts) => {
    seenTerms.add(term);
    if (!joined) addForm(term, term, false);
    else if (parts.length === 0) addForm(term, term, true);
    else for (const part of parts) addForm(part, term, false);
    return seenTerms.size < QUERY_LIMITS.maxTerms;
  });
  return [...words.values()];
}

/**
 * Calls `emit` for each term until it returns false or the text ends. A joined term comes with
 * the (non-stop) words it joins, each emitted before it.
 */
function forEachTerm(
  text: string,
  limits: { maxChars: number },
  joinAdjacent: 'short' | 'all',
  emit: (term: string, joined: boolean, parts: string[]) => boolean,
): void {
  if (typeof text !== 'string') throw new TypeError(`lexical text must be a string, got ${text === null ? 'null' : typeof text}`);
  const normalized = normalize(text.slice(0, limits.maxChars));
  let previousWord: string | undefined;
  let previousEnd = 0;
  for (const match of normalized.matchAll(WORD)) {
    const start = match.index ?? 0;
    const adjacent = previousWord !== undefined && SPACES_ONLY.test(normalized.slice(previousEnd, start));
    const before = adjacent ? previousWord : undefined;
    previousEnd = start + match[0].length;
    previousWord = undefined;

    if (HYPHEN.test(match[0])) {
      const parts = match[0].split(HYPHEN);
      const words: string[] = [];
      for (const part of parts) {
        if (STOP_WORDS.has(part)) continue;
        words.push(cut(part));
        if (!emit(cut(part), false, [])) return;
      }
      const compound = cut(parts.join(''));
      if (!STOP_WORDS.has(compound) && !emit(compound, true, words)) return;
      continue;
    }

    const word = cut(match[0]);
    if (STOP_WORDS.has(word)) continue;
    if (!emit(word, false, [])) return;
    if (before !== undefined && before !== word && (joinAdjacent === 'all' || isShort(before) || isShort(word))) {
      if (!emit(cut(before + word), true, [before, word])) return;
    }
    previousWord = word;
  }
}

function normalize(text: string): string {
  // Decompose before lower-casing: compatibility forms decompose to capitals ("𝐀" → "A").
  return text.normalize('NFKD').toLowerCase().replace(COMBINING_MARKS, '').replace(APOSTROPHE_IN_WORD, '');
}

function isShort(word: string): boolean {
  return word.length <= SHORT_WORD_LENGTH;
}

function cut(term: string): string {
  if (term.length <= MAX_TERM_LENGTH) return term;
  // Never end on the first half of a surrogate pair.
  const end = isHighSurrogate(term.charCodeAt(MAX_TERM_LENGTH - 1)) ? MAX_TERM_LENGTH - 1 : MAX_TERM_LENGTH;
  return term.slice(0, end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
