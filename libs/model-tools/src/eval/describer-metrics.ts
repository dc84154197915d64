/**
 * How describer outputs are scored, ported from the describer's training evaluation
 * (training/describer/metrics.py) so `vsearch eval --describe` and training's validation report the
 * same figures. Pure functions over strings.
 *
 * - Caption attribute accuracy, per attribute: the share of descriptions naming the product's value
 *   (`namedAttributes`, the same whole-word rule).
 * - Hallucination rate: the share of descriptions naming at least one value (of category, colour or
 *   pattern) the product does not have.
 * - BLEU-4: corpus BLEU (Papineni et al. 2002), 1- to 4-grams, uniform weights, brevity penalty with
 *   the closest reference length, each description against all reference captions of its image; no smoothing.
 * - CIDEr: TF-IDF weighted n-gram (1..4) cosine between the candidate and each reference, IDF over
 *   the evaluated images' reference sets, averaged over n and references, ×10 (no length penalty or
 *   clipping: CIDEr, not the COCO server's CIDEr-D).
 * - QA: colour, category and pattern answers are right when they name exactly the product's value of
 *   the asked attribute and no wrong value of any attribute; yes/no answers when they are exactly the
 *   truth; unanswerable questions (and those with unknown words) when they are exactly the "can't tell" answer.
 */
import { NAMED_ATTRIBUTES, namedAttributes, type ProductAttributes } from '@vsearch/catalog-generator';

export interface CaptionAttributeScores {
  count: number;
  categoryAccuracy: number;
  colourAccuracy: number;
  patternAccuracy: number;
  /** All three named correctly in one description. */
  allThreeAccuracy: number;
  hallucinationRate: number;
}

export function captionAttributeScores(outputs: readonly string[], products: readonly ProductAttributes[]): CaptionAttributeScores {
  const correct = { category: 0, colour: 0, pattern: 0 };
  let allThree = 0;
  let hallucinated = 0;
  outputs.forEach((text, i) => {
    const named = namedAttributes(text);
    const product = products[i];
    const right = NAMED_ATTRIBUTES.map((attribute) => (named[attribute] as Set<string>).has(product[attribute]));
    NAMED_ATTRIBUTES.forEach((attribute, j) => (correct[attribute] += right[j] ? 1 : 0));
    if (right.every(Boolean)) allThree++;
    if (NAMED_ATTRIBUTES.some((attribute) => [...(named[attribute] as Set<string>)].some((value) => value !== product[attribute]))) hallucinated++;
  });
  const n = Math.max(1, outputs.length);
  return {
    count: outputs.length,
    categoryAccuracy: correct.category / n,
    colourAccuracy: correct.colour / n,
    patternAccuracy: correct.pattern / n,
    allThreeAccuracy: allThree / n,
    hallucinationRate: hallucinated / n,
  };
}

/** Lower-case words (keeping inner apostrophes and hyphens: "can't", "t-shirt") and punctuation marks, as training splits them. */
export function captionWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+(?:['-][\p{L}\p{N}_]+)*|[^\p{L}\p{N}_\s]/gu) ?? [];
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const gram = tokens.slice(i, i + n).join('\u0000');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

/** Corpus BLEU-4 of `candidates`, each against its list of `references`. */
export function bleu4(candidates: readonly string[], references: ReadonlyArray<readonly string[]>): number {
  const matches = [0, 0, 0, 0];
  const totals = [0, 0, 0, 0];
  let candidateLength = 0;
  let referenceLength = 0;
  candidates.forEach((candidate, i) => {
    const c = captionWords(candidate);
    const refs = references[i].map(captionWords);
    candidateLength += c.length;
    if (refs.length > 0) {
      // The closest reference length, the shorter one on a tie.
      referenceLength += refs
        .map((r) => r.length)
        .reduce((best, length) =>
          Math.abs(length - c.length) < Math.abs(best - c.length) || (Math.abs(length - c.length) === Math.abs(best - c.length) && length < best)
            ? length
            : best,
        );
    }
    for (let n = 1; n <= 4; n++) {
      const best = new Map<string, number>();
      for (const r of refs) for (const [gram, count] of ngrams(r, n)) best.set(gram, Math.max(best.get(gram) ?? 0, count));
      for (const [gram, count] of ngrams(c, n)) matches[n - 1] += Math.min(count, best.get(gram) ?? 0);
      totals[n - 1] += Math.max(0, c.length - n + 1);
    }
  });
  if (Math.min(...matches) === 0 || candidateLength === 0) return 0;
  const logPrecision = matches.reduce((sum, m, i) => sum + Math.log(m / totals[i]), 0) / 4;
  const brevity = candidateLength > referenceLength ? 1 : Math.exp(1 - referenceLength / candidateLength);
  return brevity * Math.exp(logPrecision);
}

/** Mean CIDEr of `candidates` against their `references` (see the module doc). */
export function cider(candidates: readonly string[], references: ReadonlyArray<readonly string[]>): number {
  const images = candidates.length;
  if (images === 0) return 0;
  const documentFrequency = [0, 1, 2, 3].map(() => new Map<string, number>());
  const referenceGrams = references.map((refs) => {
    const perReference = refs.map((r) => [1, 2, 3, 4].map((n) => ngrams(captionWords(r), n)));
    for (let n = 0; n < 4; n++) {
      const seen = new Set<string>();
      for (const grams of perReference) for (const gram of grams[n].keys()) seen.add(gram);
      for (const gram of seen) documentFrequency[n].set(gram, (documentFrequency[n].get(gram) ?? 0) + 1);
    }
    return perReference;
  });
  const weighted = (grams: Map<string, number>, n: number) =>
    new Map([...grams].map(([gram, count]) => [gram, count * Math.log(images / Math.max(1, documentFrequency[n].get(gram) ?? 0))]));
  const cosine = (a: Map<string, number>, b: Map<string, number>) => {
    let dot = 0;
    for (const [gram, value] of a) dot += value * (b.get(gram) ?? 0);
    const norm = Math.hypot(...a.values()) * Math.hypot(...b.values());
    return norm ? dot / norm : 0;
  };
  let total = 0;
  candidates.forEach((candidate, i) => {
    const grams = [1, 2, 3, 4].map((n) => ngrams(captionWords(candidate), n));
    let score = 0;
    for (let n = 0; n < 4; n++) {
      const vector = weighted(grams[n], n);
      const perReference = referenceGrams[i];
      score += perReference.reduce((sum, reference) => sum + cosine(vector, weighted(reference[n], n)), 0) / Math.max(1, perReference.length);
    }
    total += (10 * score) / 4;
  });
  return total / images;
}

/** The kinds of question the evaluation asks (training/describer/texts.py QUESTION_TYPES). */
export const QUESTION_KINDS = ['colour', 'category', 'pattern', 'yes_no', 'unanswerable', 'unknown_words'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** Whether one answer is right, by the rules in the module doc. */
export function isAnswerCorrect(kind: QuestionKind, answer: string, expected: string, product: ProductAttributes, cantTell: string): boolean {
  const text = answer.trim().toLowerCase();
  if (kind === 'unanswerable' || kind === 'unknown_words') return text === cantTell;
  if (kind === 'yes_no') return text === expected;
  const named = namedAttributes(text);
  const asked = named[kind] as Set<string>;
  return (
    asked.size === 1 &&
    asked.has(product[kind]) &&
    NAMED_ATTRIBUTES.every((attribute) => [...(named[attribute] as Set<string>)].every((value) => value === product[attribute]))
  );
}
