"""describer-mini's word-level tokenizer (Hugging Face `tokenizer.json`).

A WordPiece model whose vocabulary holds whole words only (so Node's @huggingface/tokenizers reads it, as
for clip-mini): [PAD]=0, [UNK]=1, [BOS]=2, [EOS]=3, [SEP]=4, then the words of texts.vocabulary_corpus().
NFKC + lower case; the pre-tokenizer keeps a word with inner apostrophes or hyphens whole ("can't",
"t-shirt", "polka-dot") and splits every other punctuation mark off. Every other word becomes [UNK].

Decoding (the join rule): the WordPiece decoder with cleanup, i.e. tokens joined by single spaces, no
space before "," "." "?" "!"; so "i can't tell from the photo" round-trips.
"""
from collections import Counter

from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import WordPiece

PAD, UNK, BOS, EOS, SEP = "[PAD]", "[UNK]", "[BOS]", "[EOS]", "[SEP]"
SPECIAL_TOKENS = [PAD, UNK, BOS, EOS, SEP]
PAD_ID, UNK_ID, BOS_ID, EOS_ID, SEP_ID = range(5)
WORD_PATTERN = r"[\w]+(?:['\-][\w]+)*|[^\w\s]"


def _splitter():
    normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    # invert=True: the pattern's matches are the words (Node's Split pre-tokenizer reads it the same way).
    pre_tokenizer = pre_tokenizers.Split(Regex(WORD_PATTERN), behavior="removed", invert=True)
    return normalizer, pre_tokenizer


def build_tokenizer(texts):
    normalizer, pre_tokenizer = _splitter()
    counts = Counter()
    for text in texts:
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)):
            counts[word] += 1
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for word in sorted(counts, key=lambda w: (-counts[w], w)):
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(WordPiece(vocab, unk_token=UNK, max_input_chars_per_word=100))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.WordPiece(cleanup=True)
    tokenizer.add_special_tokens(SPECIAL_TOKENS)
    return tokenizer


def load_tokenizer(path):
    return Tokenizer.from_file(str(path))


def encode_words(tokenizer, texts):
    return [e.ids for e in tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def decode(tokenizer, ids):
    """Answer ids (no specials) → text by the join rule."""
    return tokenizer.decode([i for i in ids if i not in (PAD_ID, BOS_ID, EOS_ID, SEP_ID)], skip_special_tokens=False)


def main():
    """python3 -m describer.tokenizer --dataset DIR --out tokenizer.json"""
    import argparse
    import json
    import os

    from .texts import vocabulary_corpus

    parser = argparse.ArgumentParser(description="Builds describer-mini's tokenizer from a prepared dataset's texts")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(os.path.join(args.dataset, "dataset.json")) as handle:
        meta = json.load(handle)
    tokenizer = build_tokenizer(vocabulary_corpus(meta))
    tokenizer.save(args.out)
    print(f"tokenizer: {tokenizer.get_vocab_size()} tokens → {args.out}")


if __name__ == "__main__":
    main()
