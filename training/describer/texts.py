"""The describer's language: descriptions, captions and visual instructions built from a product's
attributes and its render's scene (dataset.json rows written by training/prepare-dataset.ts).

Every text the model is trained on comes from here, so the tokenizer vocabulary is exactly the set
of words these templates (and the generator's captions) can produce; a word outside it becomes [UNK].

Words are chosen so that the attribute parser (metrics.py) reads exactly the attributes a text is
meant to name: the scene phrases avoid every category, colour and pattern synonym ("light" is a lamp,
"plain" a pattern, "white" a colour, so the backdrop is "flat", "gradient" or "empty").
"""
import re

DESCRIBE_PROMPT = "describe this product"
ACCESSIBLE_PROMPT = "describe this product for someone who cannot see it"
CAPTION_PROMPTS = ["write a caption for this photo", "caption this photo"]
CANT_TELL = "i can't tell from the photo"

COLOUR_QUESTIONS = ["what colour is this product?", "what color is it?", "what colour is the {category}?",
                    "which colour does this product have?", "what is the colour of this {category}?"]
CATEGORY_QUESTIONS = ["what is this?", "what kind of product is this?", "what is shown in the photo?",
                      "what product is this?", "what type of item is in the picture?"]
PATTERN_QUESTIONS = ["what pattern does it have?", "what is the pattern of this {category}?", "which pattern is on it?"]
YES_NO_COLOUR = ["is it {value}?", "is this product {value}?", "is the {category} {value}?"]
YES_NO_CATEGORY = ["is this a {value}?", "is it a {value}?", "is the product a {value}?"]
YES_NO_PATTERN = ["is it {value}?", "is this {category} {value}?", "does it have {noun}?"]
UNANSWERABLE_QUESTIONS = [
    "how much does it cost?", "what is the price?", "how much is this {category}?", "is it on sale?",
    "what size is it?", "what size is this {category}?", "how big is it?", "how heavy is it?",
    "what is it made of?", "what material is this {category}?", "is it made of cotton?", "is it leather?",
    "what brand is this?", "who makes this {category}?", "which brand made it?", "is it in stock?",
    "when was it made?", "where was it made?", "is it waterproof?", "does it come with a warranty?",
]
QUESTION_TYPES = ("colour", "category", "pattern", "yes_no", "unanswerable", "unknown_words")

# Answers name the canonical words (the first synonym), so a reply is easy to check.
CATEGORY_ANSWER = {"jeans": "jeans"}  # uncountable: no article


def article(phrase):
    return "an" if re.match(r"[aeiou]", phrase) else "a"


def category_answer(category):
    return CATEGORY_ANSWER.get(category, f"{article(category)} {category}")


def backdrop_phrase(view):
    background = (view or {}).get("background", "plain")
    phrase = {"none": "on an empty backdrop", "plain": "on a flat backdrop", "gradient": "on a gradient backdrop"}[background]
    if (view or {}).get("surface"):
        phrase += " above a tabletop"
    return phrase


def view_phrase(view):
    return "shown tilted" if abs((view or {}).get("tilt", 0)) >= 7 else "shown upright"


def description(row):
    """The alt text: "a red striped t-shirt on a flat backdrop, shown upright"."""
    return f"{article(row['colour'])} {row['colour']} {row['pattern']} {row['category']} {backdrop_phrase(row.get('view'))}, {view_phrase(row.get('view'))}"


def accessible_description(row, pattern_nouns):
    noun = pattern_nouns[row["pattern"]]
    return (f"a photo of {category_answer(row['category'])}. it is {row['colour']} with {noun}. "
            f"it is {backdrop_phrase(row.get('view'))}, {view_phrase(row.get('view'))}.")


def usable_captions(row):
    """The generator's captions that describe only what the photo shows (no brand, no title)."""
    brand = (row.get("brand") or "").lower()
    title = row["title"].lower()
    return [c for c in row["captions"] if c.lower() != title and not (brand and brand in c.lower())]


class Vocabulary:
    """Synonym lists from dataset.json's `vocabulary`."""

    def __init__(self, vocabulary):
        self.categories = {c["name"]: list(c["synonyms"]) for c in vocabulary["categories"]}
        self.colours = {k["name"]: list(k["synonyms"]) for k in vocabulary["colours"]}
        self.pattern_adjectives = {p["name"]: list(p["adjectives"]) for p in vocabulary["patterns"]}
        self.pattern_nouns = {p["name"]: list(p["nouns"]) for p in vocabulary["patterns"]}
        # The accessible description's canonical "with ..." phrase per pattern.
        self.canonical_nouns = {"solid": "no pattern", "striped": "stripes", "dotted": "dots", "checked": "checks"}
        for name, nouns in self.pattern_nouns.items():
            self.canonical_nouns.setdefault(name, nouns[0])


def _fill(template, rng, vocab, row):
    return template.replace("{category}", rng.choice(vocab.categories[row["category"]]))


def question_answer(kind, row, vocab, rng, truth=None):
    """One (question, answer) of a kind in QUESTION_TYPES for the image `row` (rng: random.Random).

    yes/no questions ask about a random attribute; `truth` (True/False) picks whether the asked value is
    the product's own (None: a fair coin). unknown_words questions carry made-up words (random letters), which the
    tokenizer maps to [UNK].
    """
    if kind == "colour":
        return _fill(rng.choice(COLOUR_QUESTIONS), rng, vocab, row), row["colour"]
    if kind == "category":
        return rng.choice(CATEGORY_QUESTIONS), category_answer(row["category"])
    if kind == "pattern":
        return _fill(rng.choice(PATTERN_QUESTIONS), rng, vocab, row), row["pattern"]
    if kind == "yes_no":
        truth = rng.random() < 0.5 if truth is None else truth
        attribute = rng.choice(["colour", "category", "pattern"])
        if attribute == "colour":
            value = row["colour"] if truth else rng.choice([c for c in vocab.colours if c != row["colour"]])
            question = _fill(rng.choice(YES_NO_COLOUR), rng, vocab, row).replace("{value}", rng.choice(vocab.colours[value]))
        elif attribute == "category":
            value = row["category"] if truth else rng.choice([c for c in vocab.categories if c != row["category"]])
            question = rng.choice(YES_NO_CATEGORY).replace("{value}", rng.choice(vocab.categories[value]))
        else:
            value = row["pattern"] if truth else rng.choice([p for p in vocab.pattern_adjectives if p != row["pattern"]])
            question = (_fill(rng.choice(YES_NO_PATTERN), rng, vocab, row)
                        .replace("{value}", rng.choice(vocab.pattern_adjectives[value]))
                        .replace("{noun}", rng.choice(vocab.pattern_nouns[value])))
        return question, "yes" if truth else "no"
    if kind == "unanswerable":
        return _fill(rng.choice(UNANSWERABLE_QUESTIONS), rng, vocab, row), CANT_TELL
    if kind == "unknown_words":
        base_kind = rng.choice(["colour", "category", "pattern", "yes_no"])
        question, _ = question_answer(base_kind, row, vocab, rng)
        words = question.rstrip("?").split(" ")
        for _ in range(rng.choice([1, 1, 2])):
            position = rng.randrange(len(words) + 1)
            if rng.random() < 0.5 and position < len(words):
                words[position] = made_up_word(rng)
            else:
                words.insert(position, made_up_word(rng))
        return " ".join(words) + "?", CANT_TELL
    raise ValueError(f"unknown question kind {kind}")


def made_up_word(rng):
    """A word no catalog text uses (random consonant-heavy letters), so the tokenizer gives [UNK]."""
    return "".join(rng.choice("bcdfghjklmnpqrstvwxzaeiou" if i % 3 == 1 else "bcdfghjklmnpqrstvwxz") for i in range(rng.randint(5, 9)))


def describe_sample(row, vocab, rng):
    """A description-type training pair: the alt text, the accessible description or a caption."""
    roll = rng.random()
    if roll < 0.75:
        return DESCRIBE_PROMPT, description(row)
    if roll < 0.85:
        return ACCESSIBLE_PROMPT, accessible_description(row, vocab.canonical_nouns)
    captions = usable_captions(row) or [description(row)]
    return rng.choice(CAPTION_PROMPTS), rng.choice(captions)


def vocabulary_corpus(dataset_meta):
    """Every text the templates can produce (all synonyms in all slots) plus the generator's captions and
    titles: the tokenizer's word list."""
    vocab = Vocabulary(dataset_meta["vocabulary"])
    texts = [DESCRIBE_PROMPT, ACCESSIBLE_PROMPT, CANT_TELL, "yes", "no", *CAPTION_PROMPTS]
    templates = (COLOUR_QUESTIONS + CATEGORY_QUESTIONS + PATTERN_QUESTIONS + YES_NO_COLOUR + YES_NO_CATEGORY
                 + YES_NO_PATTERN + UNANSWERABLE_QUESTIONS)
    texts.extend(re.sub(r"\{\w+\}", "", t) for t in templates)
    for synonyms in vocab.categories.values():
        texts.extend(synonyms)
    for synonyms in vocab.colours.values():
        texts.extend(synonyms)
    for name in vocab.pattern_adjectives:
        texts.extend(vocab.pattern_adjectives[name] + vocab.pattern_nouns[name])
    for category in vocab.categories:
        texts.append(category_answer(category))
    for background in ("none", "plain", "gradient"):
        for surface in (False, True):
            texts.append(backdrop_phrase({"background": background, "surface": surface}))
    texts.extend(["shown tilted", "shown upright", "an", "a photo of", "it is with", ", ."])
    for row in dataset_meta["images"]:
        texts.extend(row["captions"])
        texts.append(row["title"])
    return texts
