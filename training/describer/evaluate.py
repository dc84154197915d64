"""Validation on the held-out seeds (never trained on): descriptions and questions for every validation image,
decoded greedily, scored by metrics.py. Seen colour × pattern combinations and the held-out ones
(HELD_OUT_COMBINATIONS) are reported separately."""
import random

import numpy as np
import torch

from . import metrics, texts
from .model import IMAGE_MEAN, IMAGE_STD
from .sequences import greedy_decode, prompt_ids
from .tokenizer import decode, encode_words

QA_KINDS = ("colour", "category", "pattern", "yes_no", "unanswerable", "unknown_words")


def build_items(rows, vocab, seed=7):
    """Per image: the describe prompt, the accessible-description prompt, one question of each kind, and a
    second yes/no question so that yes/no is asked true and false in equal measure (one of each per image)."""
    rng = random.Random(seed)
    items = []
    for index, row in enumerate(rows):
        items.append((index, "describe", texts.DESCRIBE_PROMPT, None))
        items.append((index, "accessible", texts.ACCESSIBLE_PROMPT, None))
        for kind in QA_KINDS:
            if kind == "yes_no":
                for truth in (True, False):
                    items.append((index, kind, *texts.question_answer(kind, row, vocab, rng, truth=truth)))
            else:
                items.append((index, kind, *texts.question_answer(kind, row, vocab, rng)))
    return items


def normalised_pixels(pixels_u8, mean, std):
    x = pixels_u8.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


@torch.no_grad()
def run(model, tokenizer, pixels, rows, items, device, batch_size=256):
    """→ generated answer text per item."""
    model.eval()
    image_tokens = torch.cat([model.encoder(torch.from_numpy(pixels[i:i + 256]).to(device)) for i in range(0, len(pixels), 256)])
    questions = encode_words(tokenizer, [question for _, _, question, _ in items])
    answers = []
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        images = image_tokens[torch.tensor([i for i, _, _, _ in chunk], device=device)]
        prompts = [prompt_ids(q) for q in questions[start:start + batch_size]]
        for ids in greedy_decode(model.decoder, images, prompts):
            answers.append(decode(tokenizer, ids))
    return answers


def score(items, answers, rows, meta, parser=None):
    parser = parser or metrics.AttributeParser(meta["vocabulary"])
    report = {}
    descriptions = [(answer, rows[i]) for (i, kind, _, _), answer in zip(items, answers) if kind == "describe"]
    outputs = [a for a, _ in descriptions]
    products = [r for _, r in descriptions]
    report["describe"] = metrics.caption_attribute_scores(parser, outputs, products)
    references = [texts.usable_captions(r) or r["captions"] for r in products]
    report["describe"]["bleu4"] = metrics.bleu4(outputs, references)
    report["describe"]["cider"] = metrics.cider(outputs, references)
    accessible = [(answer, rows[i]) for (i, kind, _, _), answer in zip(items, answers) if kind == "accessible"]
    report["accessible"] = metrics.caption_attribute_scores(parser, [a for a, _ in accessible], [r for _, r in accessible])
    qa = {}
    for kind in QA_KINDS:
        results = [metrics.qa_correct(kind, answer, expected, parser, rows[i], texts.CANT_TELL)
                   for (i, k, _, expected), answer in zip(items, answers) if k == kind]
        qa[kind] = {"count": len(results), "accuracy": sum(results) / max(1, len(results))}
    report["qa"] = qa
    cant = [metrics.qa_correct(k, a, e, parser, rows[i], texts.CANT_TELL)
            for (i, k, _, e), a in zip(items, answers) if k in ("unanswerable", "unknown_words")]
    report["cantTellRate"] = sum(cant) / max(1, len(cant))
    # Answerable questions wrongly refused (the other side of the can't-tell rate).
    refused = [a.strip() == texts.CANT_TELL for (i, k, _, e), a in zip(items, answers) if k in ("colour", "category", "pattern", "yes_no")]
    report["answerableRefusedRate"] = sum(refused) / max(1, len(refused))
    return report


def examples(items, answers, rows, count=12):
    shown = []
    for (i, kind, question, expected), answer in zip(items, answers):
        if len(shown) >= count:
            break
        if kind in ("describe", "yes_no", "unknown_words", "unanswerable") and i % 25 == 0:
            row = rows[i]
            shown.append({"image": f"{row['productId']}/{row['imageId']}", "truth": f"{row['colour']} {row['pattern']} {row['category']}",
                          "question": question, "answer": answer})
    return shown


def evaluate(model, tokenizer, data, device, seed=7):
    """data: vsearch_clip.data.Dataset; → {"seen": report, "heldOut": report, "examples": [...]}."""
    vocab = texts.Vocabulary(data.meta["vocabulary"])
    parser = metrics.AttributeParser(data.meta["vocabulary"])
    out = {}
    val = data.split_indices("val")
    held = data.held_out_mask()[val]
    for name, chosen in (("seen", val[~held]), ("heldOut", val[held])):
        rows = [data.images[i] for i in chosen]
        items = build_items(rows, vocab, seed)
        pixels = normalised_pixels(data.pixels[chosen], IMAGE_MEAN, IMAGE_STD)
        answers = run(model, tokenizer, pixels, rows, items, device)
        out[name] = score(items, answers, rows, data.meta, parser)
        if name == "seen":
            out["examples"] = examples(items, answers, rows)
    return out
