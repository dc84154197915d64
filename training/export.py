"""Exports a clip-mini checkpoint to a model directory: vision.onnx, text.onnx, tokenizer.json,
model.json (with sha256s) and reference inputs/outputs for the TypeScript parity test.

    python3 training/export.py --checkpoint CKPT.pt --tokenizer tokenizer.json --out models/clip-mini \
        --version 1.0.0 [--reference-dataset tmp/training/dataset] [--threshold 0.2]
    python3 training/export.py --untrained --tokenizer tokenizer.json --out models/clip-mini
"""
import argparse
import hashlib
import inspect
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vsearch_clip.model import IMAGE_MEAN, IMAGE_STD, ClipMini, ModelConfig  # noqa: E402
from vsearch_clip.tokenizer import PAD_ID, encode_batch, load_tokenizer  # noqa: E402

OPSET = 14
REFERENCE_TEXTS = [
    "a red striped t-shirt",
    "a photo of a mug",
    "A Purple Dotted Handbag",
    "a blue product",
    "zxqv flurble",
    "",
    "a green checked backpack with extra words to run past the sixteen token context length limit",
    "a black solid sneaker",
]


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def onnx_export(module, args, path, input_names, output_names, dynamic_axes):
    kwargs = dict(input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
                  opset_version=OPSET, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: stable graphs for both torch 1.13 and 2.x
    torch.onnx.export(module, args, path, **kwargs)


def load_model(checkpoint, vocab_size, untrained_seed):
    if checkpoint and checkpoint.endswith(".npz"):
        arrays = np.load(checkpoint)
        cfg = ModelConfig(**json.loads(str(arrays["__config__"])))
        model = ClipMini(cfg)
        model.load_state_dict({k: torch.from_numpy(arrays[k]) for k in arrays.files if not k.startswith("__")})
        return model.eval(), json.loads(str(arrays["__meta__"]))
    if checkpoint:
        state = torch.load(checkpoint, map_location="cpu")
        cfg = ModelConfig(**state["config"])
        model = ClipMini(cfg)
        model.load_state_dict(state["model"])
        return model.eval(), state.get("meta", {})
    torch.manual_seed(untrained_seed)
    return ClipMini(ModelConfig(vocab_size=vocab_size)).eval(), {}


def export(args):
    tokenizer = load_tokenizer(args.tokenizer)
    model, meta = load_model(args.checkpoint, tokenizer.get_vocab_size(), args.seed)
    cfg = model.cfg
    if cfg.vocab_size != tokenizer.get_vocab_size():
        raise SystemExit(f"checkpoint vocab {cfg.vocab_size} != tokenizer vocab {tokenizer.get_vocab_size()}")
    os.makedirs(args.out, exist_ok=True)
    ref_dir = os.path.join(args.out, "reference")
    os.makedirs(ref_dir, exist_ok=True)

    size, length = cfg.image_size, cfg.context_length
    vision_path = os.path.join(args.out, "vision.onnx")
    text_path = os.path.join(args.out, "text.onnx")
    tokenizer_path = os.path.join(args.out, "tokenizer.json")
    with torch.no_grad():
        onnx_export(model.vision, (torch.zeros(2, 3, size, size),), vision_path, ["pixel_values"], ["image_embeds"],
                    {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
        ids = torch.zeros(2, length, dtype=torch.int64)
        onnx_export(model.text, (ids, torch.ones_like(ids)), text_path, ["input_ids", "attention_mask"], ["text_embeds"],
                    {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "text_embeds": {0: "batch"}})
    if os.path.abspath(args.tokenizer) != os.path.abspath(tokenizer_path):
        shutil.copyfile(args.tokenizer, tokenizer_path)

    # Reference inputs and PyTorch outputs for the onnxruntime-node parity test.
    if args.reference_dataset:
        from vsearch_clip.data import load_dataset

        data = load_dataset(args.reference_dataset)
        chosen = data.split_indices("val")[: args.reference_count]
        pixels_u8 = data.pixels[chosen]  # [N,S,S,3] uint8 from libs/preprocessing
        image_attributes = [{k: data.images[i][k] for k in ("productId", "imageId", "category", "colour", "pattern")}
                            for i in chosen]
        mean = np.asarray(IMAGE_MEAN, dtype=np.float32)
        std = np.asarray(IMAGE_STD, dtype=np.float32)
        pixels = ((pixels_u8.astype(np.float32) / 255.0 - mean) / std).transpose(0, 3, 1, 2)
    else:
        pixels = np.random.default_rng(args.seed).standard_normal((4, 3, size, size)).astype(np.float32)
        image_attributes = None
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    input_ids, attention_mask = encode_batch(tokenizer, REFERENCE_TEXTS, length)
    with torch.no_grad():
        image_embeds = model.vision(torch.from_numpy(pixels)).numpy()
        text_embeds = model.text(torch.tensor(input_ids), torch.tensor(attention_mask)).numpy()
    pixels.astype("<f4").tofile(os.path.join(ref_dir, "pixel_values.f32"))
    image_embeds.astype("<f4").tofile(os.path.join(ref_dir, "image_embeds.f32"))
    text_embeds.astype("<f4").tofile(os.path.join(ref_dir, "text_embeds.f32"))
    with open(os.path.join(ref_dir, "reference.json"), "w") as handle:
        json.dump({
            "about": "Inputs and PyTorch outputs of this model, written by training/export.py; "
                     "checked against onnxruntime-node by libs/model-tools/src/bundled-model.int-spec.ts",
            "imageCount": int(pixels.shape[0]), "imageShape": list(pixels.shape[1:]),
            "embeddingDimension": cfg.embedding_dim,
            "imageAttributes": image_attributes,
            "texts": REFERENCE_TEXTS, "inputIds": input_ids, "attentionMask": attention_mask,
        }, handle, indent=1)
        handle.write("\n")

    def entry(path):
        return {"path": os.path.basename(path), "sha256": sha256(path), "bytes": os.path.getsize(path)}

    manifest = {
        "name": args.name,
        "version": args.version,
        "embeddingDimension": cfg.embedding_dim,
        "image": {"size": size, "mean": list(IMAGE_MEAN), "std": list(IMAGE_STD), "resize": "shortest-side-bicubic",
                  "crop": "center", "inputName": "pixel_values", "outputName": "image_embeds"},
        "text": {"contextLength": length, "padTokenId": PAD_ID, "lowercase": True, "inputIdsName": "input_ids",
                 "attentionMaskName": "attention_mask", "outputName": "text_embeds"},
        "files": {"vision": entry(vision_path), "text": entry(text_path), "tokenizer": entry(tokenizer_path)},
        "textSearchScoreThreshold": args.threshold,
        "source": args.source or (
            "Trained by this repository (training/train.sh) on the synthetic catalog of libs/catalog-generator. "
            + ("UNTRAINED placeholder weights with the final input/output contract." if not args.checkpoint else
               f"{meta.get('epochs')} epochs ({meta.get('steps')} steps) over {meta.get('train_products')} products / "
               f"{meta.get('train_images')} images in {meta.get('seconds')} s on {meta.get('device')} "
               f"(torch {meta.get('torch')}); validation {json.dumps(meta.get('validation'), sort_keys=True)}")),
    }
    with open(os.path.join(args.out, "model.json"), "w") as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")

    if not args.skip_parity:
        check_onnxruntime(vision_path, text_path, pixels, image_embeds, input_ids, attention_mask, text_embeds)
    print(json.dumps({"out": args.out, "version": args.version, "files": manifest["files"]}, indent=1))


def check_onnxruntime(vision_path, text_path, pixels, image_embeds, input_ids, attention_mask, text_embeds):
    import onnxruntime as ort

    def normalise(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    vision = ort.InferenceSession(vision_path, providers=["CPUExecutionProvider"])
    text = ort.InferenceSession(text_path, providers=["CPUExecutionProvider"])
    got_image = vision.run(["image_embeds"], {"pixel_values": pixels})[0]
    got_text = text.run(["text_embeds"], {"input_ids": np.asarray(input_ids, dtype=np.int64),
                                          "attention_mask": np.asarray(attention_mask, dtype=np.int64)})[0]
    image_diff = float(np.abs(normalise(got_image) - normalise(image_embeds)).max())
    text_diff = float(np.abs(normalise(got_text) - normalise(text_embeds)).max())
    print(f"onnxruntime parity: image max|diff| {image_diff:.2e}, text max|diff| {text_diff:.2e}")
    if image_diff > 1e-4 or text_diff > 1e-4:
        raise SystemExit("onnxruntime output differs from PyTorch by more than 1e-4")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint")
    parser.add_argument("--untrained", action="store_true")
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--name", default="clip-mini")
    parser.add_argument("--version", default="0.0.0-untrained")
    parser.add_argument("--threshold", type=float, default=0.0)
    parser.add_argument("--reference-dataset", help="prepared dataset whose first validation images become the reference inputs")
    parser.add_argument("--reference-count", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source")
    parser.add_argument("--skip-parity", action="store_true")
    args = parser.parse_args()
    if not args.checkpoint and not args.untrained:
        parser.error("give --checkpoint or --untrained")
    export(args)


if __name__ == "__main__":
    main()
