"""How describer outputs are scored: the definitions shared by training's validation and (later, ported) by
`vsearch eval --describe`. Pure functions over strings; see training/describer/README.md.

- attributes_named(text): the category, colour and pattern values a text names, found by whole-word (or
  whole-phrase) match of every synonym in the catalog vocabulary, longest phrase first, lower case
  ("polka dot" is dotted, "table lamp" a lamp, "light" a lamp too).
- Caption attribute accuracy, per attribute: the fraction of descriptions that name the product's value.
- Hallucination rate: the fraction of descriptions that name at least one value (of any of the three
  attributes) the product does not have.
- BLEU-4: corpus BLEU (Papineni et al. 2002) with up to 4-grams, uniform weights, brevity penalty, each
  description against all the generator's reference captions of its image; no smoothing.
- CIDEr: CIDEr-D-like consensus (Vedantam et al. 2015): TF-IDF weighted n-gram (1..4) cosine between the
  candidate and each reference, IDF over the evaluated images' reference sets, averaged over n and
  references, ×10 (no length penalty or clipping: "CIDEr" here, not the COCO server's CIDEr-D).
- QA accuracy per question type: colour and category answers are correct when they name exactly the
  product's value (and nothing else); pattern likewise; yes/no answers when they are exactly "yes" or "no"
  and match the truth (asked true and false in equal measure).
- Can't-tell rate: the fraction of unanswerable questions (price, size, material, brand...) and of
  questions with unknown words answered with exactly the manifest's cantTellAnswer.
"""
import math
import re
from collections import Counter

ATTRIBUTES = ("category", "colour", "pattern")


class AttributeParser:
    def __init__(self, vocabulary):
        phrases = []  # (phrase, attribute, value)
        for c in vocabulary["categories"]:
            phrases += [(s, "category", c["name"]) for s in set(c["synonyms"] + [c["name"]])]
        for k in vocabulary["colours"]:
            phrases += [(s, "colour", k["name"]) for s in set(k["synonyms"] + [k["name"]])]
        for p in vocabulary["patterns"]:
            phrases += [(s, "pattern", p["name"]) for s in set(p["adjectives"] + p["nouns"] + [p["name"]])]
        phrases.sort(key=lambda item: -len(item[0]))
        self.lookup = {phrase.lower(): (attribute, value) for phrase, attribute, value in phrases}
        alternatives = "|".join(re.escape(phrase.lower()) for phrase, _, _ in phrases)
        self.pattern = re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])")

    def named(self, text):
        """→ {attribute: set of values named}."""
        found = {a: set() for a in ATTRIBUTES}
        for match in self.pattern.finditer(text.lower()):
            attribute, value = self.lookup[match.group(1)]
            found[attribute].add(value)
        return found


def caption_attribute_scores(parser, outputs, rows):
    """outputs: generated descriptions; rows: their products ({category, colour, pattern})."""
    correct = Counter()
    hallucinated = 0
    all_three = 0
    for text, row in zip(outputs, rows):
        named = parser.named(text)
        right = [row[a] in named[a] for a in ATTRIBUTES]
        for attribute, ok in zip(ATTRIBUTES, right):
            correct[attribute] += ok
        all_three += all(right)
        hallucinated += any(named[a] - {row[a]} for a in ATTRIBUTES)
    n = max(1, len(outputs))
    return {
        "count": len(outputs),
        "categoryAccuracy": correct["category"] / n,
        "colourAccuracy": correct["colour"] / n,
        "patternAccuracy": correct["pattern"] / n,
        "allThreeAccuracy": all_three / n,
        "hallucinationRate": hallucinated / n,
    }


def words(text):
    return re.findall(r"[\w]+(?:['\-][\w]+)*|[^\w\s]", text.lower())


def ngrams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu4(candidates, references):
    """Corpus BLEU-4. candidates: [str]; references: [[str]] per candidate."""
    matches, totals = [0] * 4, [0] * 4
    cand_len = ref_len = 0
    for candidate, refs in zip(candidates, references):
        c = words(candidate)
        rs = [words(r) for r in refs]
        cand_len += len(c)
        ref_len += min((abs(len(r) - len(c)), len(r)) for r in rs)[1] if rs else 0
        for n in range(1, 5):
            counts = ngrams(c, n)
            best = Counter()
            for r in rs:
                best |= ngrams(r, n)
            matches[n - 1] += sum(min(k, best[g]) for g, k in counts.items())
            totals[n - 1] += max(0, len(c) - n + 1)
    if min(matches) == 0 or cand_len == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / 4
    brevity = 1.0 if cand_len > ref_len else math.exp(1 - ref_len / cand_len)
    return brevity * math.exp(log_precision)


def cider(candidates, references):
    """Mean CIDEr over candidates (see the module doc)."""
    n_images = len(candidates)
    if n_images == 0:
        return 0.0
    document_frequency = [Counter() for _ in range(4)]
    ref_grams = []
    for refs in references:
        per_ref = [[ngrams(words(r), n) for n in range(1, 5)] for r in refs]
        ref_grams.append(per_ref)
        for n in range(4):
            seen = set()
            for grams in per_ref:
                seen |= set(grams[n])
            for g in seen:
                document_frequency[n][g] += 1

    def vector(grams, n):
        return {g: k * math.log(n_images / max(1.0, document_frequency[n][g])) for g, k in grams.items()}

    def cosine(a, b):
        dot = sum(v * b.get(g, 0.0) for g, v in a.items())
        norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
        return dot / norm if norm else 0.0

    total = 0.0
    for candidate, per_ref in zip(candidates, ref_grams):
        cand = [ngrams(words(candidate), n) for n in range(1, 5)]
        score = 0.0
        for n in range(4):
            cv = vector(cand[n], n)
            score += sum(cosine(cv, vector(r[n], n)) for r in per_ref) / max(1, len(per_ref))
        total += 10.0 * score / 4
    return total / n_images


def qa_correct(kind, answer, expected, parser, row, cant_tell):
    """Whether one answer is right, by the rules in the module doc."""
    answer = answer.strip().lower()
    if kind in ("unanswerable", "unknown_words"):
        return answer == cant_tell
    if kind == "yes_no":
        return answer == expected
    named = parser.named(answer)
    return named[kind] == {row[kind]} and all(not named[a] - {row[a]} for a in ATTRIBUTES)
