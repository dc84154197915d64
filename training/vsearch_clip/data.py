"""The prepared dataset (written by training/prepare-dataset.ts) and the caption pool.

`DIR/dataset.json` lists the images in pixel order with their product, split and attributes,
the generator's captions and titles, and the catalog vocabulary; `DIR/pixels.bin` holds the
preprocessed pixels (uint8 RGB HWC at the model's input size, from libs/preprocessing) as
lossless WebP files back to back (`pixels.offsets`) or as one gzip'd array (`raw-gzip`).
"""
import gzip
import io
import json
import os
import re

import numpy as np
import torch

from .tokenizer import encode_batch


def _decode_pixels(directory, spec, count, size):
    with open(os.path.join(directory, spec["file"]), "rb") as handle:
        blob = handle.read()
    if spec["encoding"] == "raw-gzip":
        return np.frombuffer(gzip.decompress(blob), dtype=np.uint8).reshape(count, size, size, 3).copy()
    if spec["encoding"] == "webp-lossless":
        from PIL import Image

        offsets = spec["offsets"]
        out = np.empty((count, size, size, 3), dtype=np.uint8)
        for i in range(count):
            with Image.open(io.BytesIO(blob[offsets[i]:offsets[i + 1]])) as image:
                out[i] = np.asarray(image.convert("RGB"))
        return out
    raise ValueError(f"unknown pixel encoding {spec['encoding']}")


def _word_pattern(phrases):
    return re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(p.lower()) for p in sorted(phrases, key=len, reverse=True)) + r")(?![a-z0-9])")


class Dataset:
    def __init__(self, directory):
        with open(os.path.join(directory, "dataset.json")) as handle:
            meta = json.load(handle)
        self.meta = meta
        self.size = meta["size"]
        self.images = meta["images"]
        vocabulary = meta["vocabulary"]
        self.categories = vocabulary["categories"]
        self.colours = vocabulary["colours"]
        self.patterns = vocabulary["patterns"]
        self.held_out_pairs = {(h["colour"], h["pattern"]) for h in meta["heldOut"]}
        self.directory = directory
        self._pixels = None
        cat_index = {c["name"]: i for i, c in enumerate(self.categories)}
        col_index = {c["name"]: i for i, c in enumerate(self.colours)}
        pat_index = {p["name"]: i for i, p in enumerate(self.patterns)}
        self.attrs = np.array([[cat_index[r["category"]], col_index[r["colour"]], pat_index[r["pattern"]]] for r in self.images],
                              dtype=np.int64)
        self.tokenizer = None
        self.context_length = None

    @property
    def pixels(self):
        if self._pixels is None:
            self._pixels = _decode_pixels(self.directory, self.meta["pixels"], len(self.images), self.size)
        return self._pixels

    def summary(self):
        splits = {}
        for record in self.images:
            splits[record["split"]] = splits.get(record["split"], 0) + 1
        return f"{len(self.images)} images at {self.size}px ({', '.join(f'{k} {v}' for k, v in sorted(splits.items()))})"

    def split_indices(self, split):
        return np.array([i for i, r in enumerate(self.images) if r["split"] == split], dtype=np.int64)

    def held_out_mask(self):
        return np.array([(r["colour"], r["pattern"]) in self.held_out_pairs for r in self.images])

    def attrs_tensor(self, device):
        return torch.from_numpy(self.attrs).to(device)

    def train_renders(self, limit_products=0):
        by_product = {}
        for i, record in enumerate(self.images):
            if record["split"] == "train":
                by_product.setdefault(record["productId"], []).append(i)
        groups = list(by_product.values())
        if limit_products:
            groups = groups[:limit_products]
        return [np.array(g) for g in groups]

    def encode(self, texts):
        return encode_batch(self.tokenizer, texts, self.context_length)

    # Prompts, shared by training (as captions) and the validation proxy (as classifiers).
    @staticmethod
    def full_prompt(colour, pattern, category):
        return f"a {colour} {pattern} {category}"

    @staticmethod
    def category_prompt(category):
        return f"a photo of a {category}"

    @staticmethod
    def colour_prompt(colour):
        return f"a {colour} product"

    def prompt_sets(self):
        triple_texts, triple_labels = [], []
        for ci, c in enumerate(self.categories):
            for ki, k in enumerate(self.colours):
                for pi, p in enumerate(self.patterns):
                    triple_texts.append(self.full_prompt(k["name"], p["name"], c["name"]))
                    triple_labels.append([ci, ki, pi])
        return {
            "triple": (triple_texts, triple_labels),
            "category": ([self.category_prompt(c["name"]) for c in self.categories], [[i] for i in range(len(self.categories))]),
            "colour": ([self.colour_prompt(k["name"]) for k in self.colours], [[i] for i in range(len(self.colours))]),
        }

    def vocabulary_texts(self):
        """Every text the tokenizer must know: captions, titles, all synonyms, the prompt templates."""
        texts = []
        for record in self.images:
            texts.extend(record["captions"])
            texts.append(record["title"])
            if record.get("description"):
                texts.append(record["description"])
        for c in self.categories:
            texts.extend(c["synonyms"])
            texts.append(self.category_prompt(c["name"]))
        for k in self.colours:
            texts.extend(k["synonyms"])
            texts.append(self.colour_prompt(k["name"]))
        for p in self.patterns:
            texts.extend(p["adjectives"] + p["nouns"])
        texts.extend(self.meta.get("extraVocabulary", []))
        return texts


def load_dataset(directory):
    return Dataset(directory)


class CaptionPool:
    """Every caption an image may be paired with, tokenised once, with which attributes it names.

    Per image: the generator's captions and the product title (they name category, colour and,
    mostly, pattern), full prompts built from random synonyms, and partial prompts ("a photo of a
    mug", "a red product", "a striped mug") that name one or two attributes only. A caption is a
    positive for every image in the batch that has the attributes it names.
    """

    def __init__(self, data, tokenizer, context_length, seed=1):
        rng = np.random.default_rng(seed)
        self.data = data
        cat_re = [_word_pattern(c["synonyms"] + [c["name"]]) for c in data.categories]
        col_re = [_word_pattern(k["synonyms"] + [k["name"]]) for k in data.colours]
        pat_re = [_word_pattern(p["adjectives"] + p["nouns"] + [p["name"]]) for p in data.patterns]
        texts, attrs, masks, owner = [], [], [], []
        self.by_image = [[] for _ in data.images]

        def add(image, text, mentions):
            self.by_image[image].append(len(texts))
            texts.append(text)
            attrs.append(data.attrs[image])
            masks.append(mentions)
            owner.append(image)

        def pick(options):
            return options[rng.integers(len(options))]

        for i, record in enumerate(data.images):
            if record["split"] != "train":
                continue
            ci, ki, pi = data.attrs[i]
            c, k, p = data.categories[ci], data.colours[ki], data.patterns[pi]
            for caption in record["captions"] + [record["title"]]:
                lower = caption.lower()
                add(i, caption, [bool(cat_re[ci].search(lower)), bool(col_re[ki].search(lower)), bool(pat_re[pi].search(lower))])
            add(i, data.full_prompt(k["name"], p["name"], c["name"]), [True, True, True])
            for _ in range(2):
                add(i, data.full_prompt(pick(k["synonyms"]), pick(p["adjectives"]), pick(c["synonyms"])), [True, True, True])
            add(i, f"a photo of a {pick(c['synonyms'])} with {pick(p['nouns'])} in {pick(k['synonyms'])}", [True, True, True])
            add(i, data.category_prompt(c["name"]), [True, False, False])
            add(i, data.category_prompt(pick(c["synonyms"])), [True, False, False])
            add(i, data.colour_prompt(k["name"]), [False, True, False])
            add(i, f"a {pick(k['synonyms'])} {pick(c['synonyms'])}", [True, True, False])
            add(i, f"a {pick(p['adjectives'])} {pick(c['synonyms'])}", [True, False, True])
        ids, mask = encode_batch(tokenizer, texts, context_length)
        self.ids = np.asarray(ids, dtype=np.int64)
        self.mask = np.asarray(mask, dtype=np.int64)
        self.attrs = np.asarray(attrs, dtype=np.int64).reshape(-1, 3)
        self.attr_mask = np.asarray(masks, dtype=bool).reshape(-1, 3)
        self.owner = np.asarray(owner, dtype=np.int64)
        self.size = len(texts)

    def tensors(self, device):
        return tuple(torch.from_numpy(a).to(device) for a in (self.ids, self.mask, self.attrs, self.attr_mask, self.owner))

    def captions_by_image(self):
        return self.by_image
