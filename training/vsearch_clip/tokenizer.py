"""The word-level tokenizer of clip-mini, stored in Hugging Face `tokenizer.json` format.

A WordPiece model whose vocabulary holds whole words only ([PAD]=0, [UNK]=1, then the
caption words): every word outside the catalog vocabulary becomes [UNK]. WordPiece (not
WordLevel) because @huggingface/tokenizers in Node implements WordPiece. No special tokens
are added; texts are truncated/padded to the context length by the caller, with an
attention mask (the text tower mean-pools over real tokens).
"""
from collections import Counter

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import WordPiece

PAD_TOKEN, UNK_TOKEN = "[PAD]", "[UNK]"
PAD_ID = 0


def _splitter():
    normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    return normalizer, pre_tokenizers.Whitespace()


def build_tokenizer(texts, min_count=1):
    normalizer, pre_tokenizer = _splitter()
    counts = Counter()
    for text in texts:
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)):
            counts[word] += 1
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    vocab = {PAD_TOKEN: PAD_ID, UNK_TOKEN: 1}
    for word in words:
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(WordPiece(vocab, unk_token=UNK_TOKEN, max_input_chars_per_word=100))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.add_special_tokens([PAD_TOKEN, UNK_TOKEN])
    return tokenizer


def load_tokenizer(path):
    return Tokenizer.from_file(str(path))


def encode_batch(tokenizer, texts, context_length):
    """→ (input_ids, attention_mask) as lists of lists, truncated/padded to context_length."""
    ids, masks = [], []
    for encoding in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        row = encoding.ids[:context_length]
        ids.append(row + [PAD_ID] * (context_length - len(row)))
        masks.append([1] * len(row) + [0] * (context_length - len(row)))
    return ids, masks
