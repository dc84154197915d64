/**
 * Which catalog attributes a text names: the category, colour and pattern values whose words
 * (synonyms, pattern adjectives and nouns) occur in it. The same rule as the describer's training
 * evaluation (training/describer/metrics.py `AttributeParser`): whole-word or whole-phrase matches,
 * lower case, longest phrase first, a hyphen counting as part of a word ("polka dot" is dotted,
 * "table lamp" a lamp, "light" a lamp too, "t-shirt" never "shirt"). Used by the query API's
 * `POST /v1/describe` (the attributes a description names) and by `vsearch eval --describe`.
 */
import { CATEGORIES, CATEGORY_INFO, COLOURS, COLOUR_INFO, PATTERNS, PATTERN_INFO, type Category, type Colour, type Pattern } from './vocab';

export const NAMED_ATTRIBUTES = ['category', 'colour', 'pattern'] as const;
export type NamedAttribute = (typeof NAMED_ATTRIBUTES)[number];

/** The values of each attribute a text names (a set: a text may name two colours). */
export interface NamedAttributes {
  category: Set<Category>;
  colour: Set<Colour>;
  pattern: Set<Pattern>;
}

interface Phrase {
  attribute: NamedAttribute;
  value: string;
}

const PHRASES: ReadonlyMap<string, Phrase> = (() => {
  const entries: Array<[string, Phrase]> = [];
  for (const name of CATEGORIES) for (const word of [name, ...CATEGORY_INFO[name].synonyms]) entries.push([word, { attribute: 'category', value: name }]);
  for (const name of COLOURS) for (const word of [name, ...COLOUR_INFO[name].synonyms]) entries.push([word, { attribute: 'colour', value: name }]);
  for (const name of PATTERNS) {
    for (const word of [name, ...PATTERN_INFO[name].adjectives, ...PATTERN_INFO[name].nouns]) entries.push([word, { attribute: 'pattern', value: name }]);
  }
  // Longest first, so the alternation below prefers "table lamp" to "lamp" and "polka dots" to "dots".
  entries.sort(([a], [b]) => b.length - a.length);
  return new Map(entries.map(([word, phrase]) => [word.toLowerCase(), phrase]));
})();

const PHRASE_PATTERN = new RegExp(`(?<![\\w-])(${[...PHRASES.keys()].map(escapeRegExp).join('|')})(?![\\w-])`, 'g');

/** The category, colour and pattern values `text` names. */
export function namedAttributes(text: string): NamedAttributes {
  const named: NamedAttributes = { category: new Set(), colour: new Set(), pattern: new Set() };
  for (const match of text.toLowerCase().matchAll(PHRASE_PATTERN)) {
    const phrase = PHRASES.get(match[1])!;
    (named[phrase.attribute] as Set<string>).add(phrase.value);
  }
  return named;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
