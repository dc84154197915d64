"""Exports a describer-mini checkpoint to a model directory (the contract in models/README.md):
image_encoder.onnx, decoder.onnx (one decoding step with a self-attention KV cache), tokenizer.json,
model.json (with sha256s) and reference/ inputs and PyTorch outputs for the TypeScript parity test
(libs/model-tools/src/describer-model.int-spec.ts). Checks onnxruntime against PyTorch before it returns.

    PYTHONPATH=training python3 -m describer.export --checkpoint tmp/describer/checkpoint.npz \
        --tokenizer tmp/describer/tokenizer.json --dataset tmp/describer/dataset --out models/describer-mini \
        [--history training/runs/describer-mini-1.0.0.history.json]
"""
import argparse
import json
import os
import shutil

import numpy as np
import torch

from export import onnx_export, sha256  # training/export.py (clip-mini's exporter): opset 14, TorchScript exporter
from vsearch_clip.data import load_dataset

from . import texts
from .evaluate import normalised_pixels
from .model import IMAGE_MEAN, IMAGE_STD
from .sequences import MAX_NEW_TOKENS, MAX_QUESTION_TOKENS, MAX_SEQUENCE_LENGTH, greedy_decode, prompt_ids
from .tokenizer import BOS_ID, EOS_ID, PAD_ID, SEP_ID, UNK_ID, decode, encode_words, load_tokenizer
from .train import load_checkpoint

REFERENCE_IMAGES = 4
# (image index, question): a description per image, then questions of every kind.
REFERENCE_CASES = [
    (0, texts.DESCRIBE_PROMPT), (1, texts.DESCRIBE_PROMPT), (2, texts.DESCRIBE_PROMPT), (3, texts.DESCRIBE_PROMPT),
    (0, texts.ACCESSIBLE_PROMPT), (1, "what colour is this product?"), (2, "what is this?"), (3, "is it red?"),
    (0, "what pattern does it have?"), (1, "how much does it cost?"), (2, "is it zorbly?"),
]


def names(layers):
    past = [n for l in range(layers) for n in (f"past_key_{l}", f"past_value_{l}")]
    present = [n for l in range(layers) for n in (f"present_key_{l}", f"present_value_{l}")]
    return past, present


def export_graphs(model, out):
    cfg = model.cfg
    encoder_path = os.path.join(out, "image_encoder.onnx")
    decoder_path = os.path.join(out, "decoder.onnx")
    past_names, present_names = names(cfg.layers)
    with torch.no_grad():
        onnx_export(model.encoder, (torch.zeros(2, 3, cfg.image_size, cfg.image_size),), encoder_path, ["pixel_values"], ["image_tokens"],
                    {"pixel_values": {0: "batch"}, "image_tokens": {0: "batch"}})
        b, t, p = 2, 3, 4  # non-zero P so that nothing is specialised to an empty cache
        past = [torch.zeros(b, cfg.heads, p, cfg.head_dim) for _ in past_names]
        dummy = (torch.ones(b, t, dtype=torch.long), torch.arange(p, p + t).repeat(b, 1), torch.ones(b, p + t, dtype=torch.long),
                 torch.zeros(b, cfg.image_tokens, cfg.width), *past)
        axes = {"input_ids": {0: "batch", 1: "new"}, "position_ids": {0: "batch", 1: "new"}, "attention_mask": {0: "batch", 1: "total"},
                "image_tokens": {0: "batch"}, "logits": {0: "batch", 1: "new"}}
        axes.update({n: {0: "batch", 2: "past"} for n in past_names})
        axes.update({n: {0: "batch", 2: "total"} for n in present_names})
        onnx_export(model.decoder, dummy, decoder_path, ["input_ids", "position_ids", "attention_mask", "image_tokens", *past_names],
                    ["logits", *present_names], axes)
    return encoder_path, decoder_path


def reference_outputs(model, tokenizer, data, out):
    """Reference inputs (the first validation images, preprocessed by libs/preprocessing) and PyTorch outputs."""
    ref_dir = os.path.join(out, "reference")
    os.makedirs(ref_dir, exist_ok=True)
    chosen = data.split_indices("val")[:REFERENCE_IMAGES]
    pixels = normalised_pixels(data.pixels[chosen], IMAGE_MEAN, IMAGE_STD)
    with torch.no_grad():
        image_tokens = model.encoder(torch.from_numpy(pixels))
    cases, logits_blobs = [], []
    questions = encode_words(tokenizer, [q for _, q in REFERENCE_CASES])
    for (image, question), q_ids in zip(REFERENCE_CASES, questions):
        ids = prompt_ids(q_ids)
        with torch.no_grad():
            t = len(ids)
            first = model.decoder(torch.tensor([ids]), torch.arange(t).unsqueeze(0), torch.ones(1, t, dtype=torch.long),
                                  image_tokens[image:image + 1], *model.decoder.empty_cache(1, "cpu"))[0][0]
            greedy = greedy_decode(model.decoder, image_tokens[image:image + 1], [ids])[0]
        logits_blobs.append(first.numpy())
        cases.append({"image": image, "question": question, "promptIds": ids, "firstStepLogitsShape": list(first.shape),
                      "greedyIds": greedy, "greedyText": decode(tokenizer, greedy)})
    pixels.astype("<f4").tofile(os.path.join(ref_dir, "pixel_values.f32"))
    image_tokens.numpy().astype("<f4").tofile(os.path.join(ref_dir, "image_tokens.f32"))
    np.concatenate(logits_blobs).astype("<f4").tofile(os.path.join(ref_dir, "first_step_logits.f32"))
    reference = {
        "about": "Inputs and PyTorch outputs of this model, written by training/describer/export.py; checked against "
                 "onnxruntime-node by libs/model-tools/src/describer-model.int-spec.ts. first_step_logits.f32 holds each "
                 "case's logits [promptLength, vocab] for its prompt alone (batch 1, no cache), cases back to back; "
                 "greedyIds is PyTorch's greedy decode with the KV cache (EOS not included).",
        "imageCount": len(chosen), "imageShape": list(pixels.shape[1:]), "imageTokensShape": list(image_tokens.shape[1:]),
        "imageAttributes": [{k: data.images[i][k] for k in ("productId", "imageId", "category", "colour", "pattern")} for i in chosen],
        "cases": cases,
    }
    with open(os.path.join(ref_dir, "reference.json"), "w") as handle:
        json.dump(reference, handle, indent=1)
        handle.write("\n")
    return pixels, image_tokens.numpy(), cases, logits_blobs


def check_onnxruntime(encoder_path, decoder_path, layers, pixels, image_tokens, cases, logits_blobs, tokenizer_vocab):
    """onnxruntime vs PyTorch: encoder output, each case's first-step logits, an incremental greedy decode, and a
    left-padded batch of all cases decoded together (the mask and position ids path)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    encoder = ort.InferenceSession(encoder_path, options, providers=["CPUExecutionProvider"])
    decoder = ort.InferenceSession(decoder_path, options, providers=["CPUExecutionProvider"])
    got_tokens = encoder.run(["image_tokens"], {"pixel_values": pixels})[0]
    worst = {"imageTokens": float(np.abs(got_tokens - image_tokens).max()), "firstStepLogits": 0.0}
    past_names, present_names = names(layers)
    heads_dim = None
    greedy_mismatches = 0
    for case, expected in zip(cases, logits_blobs):
        ids = np.asarray([case["promptIds"]], dtype=np.int64)
        t = ids.shape[1]
        image = image_tokens[case["image"]:case["image"] + 1]
        if heads_dim is None:
            heads_dim = decoder.get_inputs()[4].shape
        h, dh = decoder.get_inputs()[4].shape[1], decoder.get_inputs()[4].shape[3]
        past = {n: np.zeros((1, h, 0, dh), dtype=np.float32) for n in past_names}
        feeds = {"input_ids": ids, "position_ids": np.arange(t, dtype=np.int64)[None], "attention_mask": np.ones((1, t), dtype=np.int64),
                 "image_tokens": image, **past}
        outputs = decoder.run(["logits", *present_names], feeds)
        worst["firstStepLogits"] = max(worst["firstStepLogits"], float(np.abs(outputs[0][0] - expected).max()))
        generated = []
        position = t
        mask = np.ones((1, t), dtype=np.int64)
        for _ in range(MAX_NEW_TOKENS):
            token = int(outputs[0][0, -1].argmax())
            if token == EOS_ID:
                break
            generated.append(token)
            mask = np.concatenate([mask, np.ones((1, 1), dtype=np.int64)], axis=1)
            feeds = {"input_ids": np.asarray([[token]], dtype=np.int64), "position_ids": np.asarray([[position]], dtype=np.int64),
                     "attention_mask": mask, "image_tokens": image, **dict(zip(past_names, outputs[1:]))}
            outputs = decoder.run(["logits", *present_names], feeds)
            position += 1
        greedy_mismatches += generated != case["greedyIds"]
    # Left-padded batch: the last prompt position's logits of every row equal the single-row ones.
    prompts = [c["promptIds"] for c in cases]
    t = max(len(p) for p in prompts)
    ids = np.zeros((len(prompts), t), dtype=np.int64)
    mask = np.zeros((len(prompts), t), dtype=np.int64)
    for i, p in enumerate(prompts):
        ids[i, t - len(p):] = p
        mask[i, t - len(p):] = 1
    positions = np.maximum(mask.cumsum(1) - 1, 0)
    h, dh = decoder.get_inputs()[4].shape[1], decoder.get_inputs()[4].shape[3]
    feeds = {"input_ids": ids, "position_ids": positions, "attention_mask": mask,
             "image_tokens": np.stack([image_tokens[c["image"]] for c in cases]),
             **{n: np.zeros((len(prompts), h, 0, dh), dtype=np.float32) for n in past_names}}
    batched = decoder.run(["logits"], feeds)[0][:, -1]
    worst["batchedLastLogits"] = float(max(np.abs(batched[i] - logits_blobs[i][-1]).max() for i in range(len(cases))))
    worst["greedyMismatches"] = greedy_mismatches
    print(f"onnxruntime parity: {json.dumps(worst)}")
    if worst["imageTokens"] > 1e-4 or worst["firstStepLogits"] > 1e-3 or worst["batchedLastLogits"] > 1e-3 or greedy_mismatches:
        raise SystemExit("onnxruntime output differs from PyTorch")
    return worst


def export(args):
    tokenizer = load_tokenizer(args.tokenizer)
    model, meta = load_checkpoint(args.checkpoint)
    cfg = model.cfg
    if cfg.vocab_size != tokenizer.get_vocab_size():
        raise SystemExit(f"checkpoint vocab {cfg.vocab_size} != tokenizer vocab {tokenizer.get_vocab_size()}")
    os.makedirs(args.out, exist_ok=True)
    encoder_path, decoder_path = export_graphs(model, args.out)
    tokenizer_path = os.path.join(args.out, "tokenizer.json")
    if os.path.abspath(args.tokenizer) != os.path.abspath(tokenizer_path):
        shutil.copyfile(args.tokenizer, tokenizer_path)
    data = load_dataset(args.dataset)
    pixels, image_tokens, cases, logits_blobs = reference_outputs(model, tokenizer, data, args.out)
    parity = check_onnxruntime(encoder_path, decoder_path, cfg.layers, pixels, image_tokens, cases, logits_blobs, cfg.vocab_size)

    def entry(path):
        return {"path": os.path.basename(path), "sha256": sha256(path), "bytes": os.path.getsize(path)}

    validation = meta.get("validation")
    manifest = {
        "name": args.name, "version": args.version, "kind": "describer",
        "image": {"size": cfg.image_size, "mean": list(IMAGE_MEAN), "std": list(IMAGE_STD), "resize": "shortest-side-bicubic",
                  "crop": "center", "inputName": "pixel_values", "outputName": "image_tokens"},
        "decoder": {"layers": cfg.layers, "heads": cfg.heads, "headDim": cfg.head_dim, "vocabSize": cfg.vocab_size,
                    "imageTokens": cfg.image_tokens, "width": cfg.width, "maxSequenceLength": MAX_SEQUENCE_LENGTH,
                    "maxNewTokens": MAX_NEW_TOKENS, "maxQuestionTokens": MAX_QUESTION_TOKENS,
                    "inputIdsName": "input_ids", "positionIdsName": "position_ids", "attentionMaskName": "attention_mask",
                    "imageTokensName": "image_tokens", "pastKeyName": "past_key_{layer}", "pastValueName": "past_value_{layer}",
                    "presentKeyName": "present_key_{layer}", "presentValueName": "present_value_{layer}", "logitsName": "logits"},
        "tokens": {"pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID, "sep": SEP_ID},
        "prompts": {"describe": texts.DESCRIBE_PROMPT, "accessible": texts.ACCESSIBLE_PROMPT},
        "cantTellAnswer": texts.CANT_TELL,
        "files": {"imageEncoder": entry(encoder_path), "decoder": entry(decoder_path), "tokenizer": entry(tokenizer_path)},
        "source": args.source or (
            "Trained by this repository (training/train-describer.sh) on the synthetic catalog of libs/catalog-generator: "
            f"{meta.get('epochs')} epochs ({meta.get('steps')} steps) over {meta.get('train_products')} products / "
            f"{meta.get('train_images')} images in {meta.get('seconds')} s on {meta.get('device')} (torch {meta.get('torch')}); "
            f"validation (seed 2002 seen combinations, seed 2003 held-out colour x pattern) {json.dumps(validation, sort_keys=True)}"),
    }
    with open(os.path.join(args.out, "model.json"), "w") as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")
    print(json.dumps({"out": args.out, "version": args.version, "files": manifest["files"], "parity": parity}, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--dataset", required=True, help="prepared dataset whose first validation images become the reference inputs")
    parser.add_argument("--out", required=True)
    parser.add_argument("--name", default="describer-mini")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--source")
    export(parser.parse_args())


if __name__ == "__main__":
    main()
