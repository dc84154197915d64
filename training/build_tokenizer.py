"""Builds clip-mini's tokenizer.json from the caption vocabulary of a prepared dataset
(or, with --words, from a plain word list).

    python3 training/build_tokenizer.py --dataset tmp/training/dataset --out tmp/training/tokenizer.json
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vsearch_clip.tokenizer import build_tokenizer  # noqa: E402


def dataset_texts(dataset_dir):
    from vsearch_clip.data import Dataset

    return Dataset(dataset_dir).vocabulary_texts()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset")
    parser.add_argument("--words", help="file with texts, one per line")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    texts = dataset_texts(args.dataset) if args.dataset else open(args.words).read().splitlines()
    tokenizer = build_tokenizer(texts)
    tokenizer.save(args.out)
    print(f"tokenizer: {tokenizer.get_vocab_size()} tokens → {args.out}")


if __name__ == "__main__":
    main()
