"""Builds a CLIP with exactly the structure of the Transformers.js CLIP exports on the Hugging Face hub
(for instance Xenova/clip-vit-base-patch32), with random but fixed weights, in the hub's repository layout,
plus reference outputs of the Hugging Face `transformers` implementation for the TypeScript tests.

What is real: the architecture (`transformers.CLIPModel` from a `CLIPConfig`: a vision transformer with a class
token, 224 px input cut into 32 px patches; a causal text transformer pooled at the end-of-text position;
projection heads), the ONNX graphs (torch.onnx.export of the same towers Transformers.js exports: `input_ids` and
`attention_mask` -> `text_embeds`, `pixel_values` -> `image_embeds`, each with `last_hidden_state` beside it), the
49,408-entry CLIP BPE tokenizer (built from the vocabulary that ships in PyPI's `open_clip_torch` as
`bpe_simple_vocab_16e6.txt.gz`, the way open_clip and Hugging Face build it, saved as a fast `tokenizer.json`), and
dynamic int8 quantization as hub repositories publish it (`onnx/*_quantized.onnx`). What is not: the weights,
drawn from the seed by `transformers`' own initialisation; the embeddings mean nothing.

    --geometry tiny     widths of 16-32, 2 layers: a few MB, committed as libs/model-tools/fixtures/tiny-clip-random
    --geometry vit-b32  the widths and depths of openai/clip-vit-base-patch32 (~600 MB fp32): for benchmarks

Writes into --out (the hub layout; pull it with `vsearch models pull NAME --repo ORG/REPO` from a hub serving it):
    config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
    onnx/text_model.onnx, onnx/vision_model.onnx,
    onnx/text_model_quantized.onnx, onnx/vision_model_quantized.onnx          (with --quantize)
    reference-images/*.png|jpg                                                  (inputs of the reference outputs)
    reference-outputs.json  token ids and L2-normalised text embeddings of REFERENCE_TEXTS, image embeddings of
                            the reference images, all from PyTorch (not from the ONNX files)

Setup (Debian 12 python3; torch and onnx from Debian so pip never pulls a CUDA torch; the rest into a folder
outside the repository; onnx 1.17 from PyPI because onnxruntime's quantizer needs `onnx.reference`, which
Debian's onnx 1.12 lacks; ml_dtypes 0.4 because newer ones need numpy 2):

    apt-get install python3-torch python3-onnx python3-pil python3-numpy python3-yaml python3-requests python3-sympy
    python3 -m pip install --target /work/pydeps --no-deps 'transformers==4.44.2' 'tokenizers>=0.19,<0.20' \
        'huggingface_hub>=0.23,<0.25' safetensors regex ftfy wcwidth tqdm filelock packaging fsspec \
        onnxruntime coloredlogs humanfriendly flatbuffers 'ml_dtypes==0.4.1' 'onnx==1.17.0' open_clip_torch
    PYTHONPATH=/work/pydeps python3 training/random-clip/build_random_clip.py --geometry tiny \
        --out libs/model-tools/fixtures/tiny-clip-random --quantize

`onnx` is imported before `torch` on purpose: Debian's torch registers its own copy of the ONNX protobuf
descriptors, and importing it first breaks the newer `onnx` package's import.
"""
import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile

import onnx  # noqa: F401  (before torch: see the module docstring)
import numpy as np
import torch
from PIL import Image, ImageDraw

SCRIPT = "training/random-clip/build_random_clip.py"
OPSET = 14
CONTEXT_LENGTH = 77
VOCAB_SIZE = 49408
IMAGE_SIZE = 224
PATCH_SIZE = 32
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# openai/clip-vit-base-patch32's widths and depths; "tiny" keeps its input geometry (224 px, patch 32, the full
# vocabulary, 77 positions) and shrinks everything else. The text width dominates the tiny model's size: the token
# embedding is 49,408 x width floats (16 -> 3.2 MB).
# transformers' initialisation scale (CLIPConfig.initializer_factor, 1 in the released configs). At 1 a random
# vision tower barely looks at the pixels (the class token's constant part dominates: unrelated images land at
# cosine 0.99), which would make every image embedding the same and any agreement measure meaningless; at 4,
# unrelated reference images sit at cosine 0.5-0.9 (tiny) and 0.8-0.9 (vit-b32), texts at 0.3-0.85.
INITIALIZER_FACTOR = 4.0

GEOMETRIES = {
    "vit-b32": {
        "projection_dim": 512,
        "text": {"hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 12, "num_attention_heads": 8},
        "vision": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12},
    },
    "tiny": {
        "projection_dim": 32,
        "text": {"hidden_size": 16, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2},
        "vision": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2},
    },
}

# Texts that exercise the tokenizer: case, accents and NFC, punctuation and contractions, digits, emoji (byte-level
# fallback), CJK, runs of whitespace, the empty text, and one longer than the 77-token context (truncated).
REFERENCE_TEXTS = [
    "a red leather ankle boot",
    "A Photo Of A BLUE Denim Jacket",
    "Café crème brûlée, naïve façade — Ångström über Straße",
    "it's 50% off!!! (today only) #sale @shop: \"great\" deals... [new] {x}",
    "iPhone 15 Pro Max 256GB / USB-C, 3.5mm jack & 20W charger",
    "running shoes 👟🔥 with a smile 😀",
    "红色连衣裙 赤いドレス 빨간 드레스",
    "  lots   of\tspaces\nand  newlines  ",
    "",
    " ".join(
        ["a very long product description that keeps going with more words about colour, material and fit"] * 6
    ),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--geometry", choices=sorted(GEOMETRIES), required=True)
    parser.add_argument("--out", required=True, help="directory to write the hub layout into (replaced)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quantize", action="store_true", help="also write onnx/*_quantized.onnx (dynamic int8)")
    return parser.parse_args()


# --- tokenizer -----------------------------------------------------------------------------------------------


def open_clip_vocabulary_file():
    """bpe_simple_vocab_16e6.txt.gz inside the installed open_clip_torch package (found without importing it:
    open_clip imports torchvision and timm, which this script does not need)."""
    for entry in sys.path:
        candidate = os.path.join(entry, "open_clip", "bpe_simple_vocab_16e6.txt.gz")
        if os.path.isfile(candidate):
            return candidate
    raise SystemExit("open_clip/bpe_simple_vocab_16e6.txt.gz not found: pip install --no-deps open_clip_torch")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table, as open_clip's SimpleTokenizer and HF's CLIPTokenizer."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    characters = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
    return dict(zip(printable, [chr(code) for code in characters]))


def write_vocab_and_merges(directory):
    """vocab.json and merges.txt exactly as open_clip's SimpleTokenizer builds its vocabulary: the 256 byte
    characters, the same with the end-of-word marker, one token per merge (the first 48,894 of the file), then
    <|startoftext|> and <|endoftext|>: 49,408 entries."""
    with gzip.open(open_clip_vocabulary_file(), "rt", encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
    byte_characters = list(bytes_to_unicode().values())
    vocab = byte_characters + [character + "</w>" for character in byte_characters]
    vocab += ["".join(merge) for merge in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    if len(vocab) != VOCAB_SIZE or len(set(vocab)) != VOCAB_SIZE:
        raise SystemExit(f"built {len(vocab)} tokens ({len(set(vocab))} distinct), expected {VOCAB_SIZE}")
    vocab_file = os.path.join(directory, "vocab.json")
    merges_file = os.path.join(directory, "merges.txt")
    with open(vocab_file, "w", encoding="utf-8") as handle:
        json.dump({token: index for index, token in enumerate(vocab)}, handle, ensure_ascii=False)
    with open(merges_file, "w", encoding="utf-8") as handle:
        handle.write("#version: 0.2\n" + "\n".join(" ".join(merge) for merge in merges) + "\n")
    return vocab_file, merges_file


def build_tokenizer(work_dir):
    from transformers import CLIPTokenizerFast

    vocab_file, merges_file = write_vocab_and_merges(work_dir)
    # The special tokens and limits of openai/clip-vit-base-patch32's tokenizer_config.json.
    return CLIPTokenizerFast(
        vocab_file=vocab_file,
        merges_file=merges_file,
        unk_token="<|endoftext|>",
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        model_max_length=CONTEXT_LENGTH,
    )


# --- model ---------------------------------------------------------------------------------------------------


def build_model(geometry, seed):
    from transformers import CLIPConfig, CLIPModel

    shape = GEOMETRIES[geometry]
    # The remaining values are openai/clip-vit-base-patch32's config.json, including its text_config
    # bos/eos/pad ids (0/2/1): with eos_token_id 2 the text tower pools at the arg-max token id, which for CLIP's
    # vocabulary is the first <|endoftext|> (49407, the largest id), and exports as an ONNX ArgMax exactly as the
    # Transformers.js files do.
    config = CLIPConfig(
        projection_dim=shape["projection_dim"],
        logit_scale_init_value=2.6592,
        initializer_factor=INITIALIZER_FACTOR,
        text_config={
            **shape["text"],
            "vocab_size": VOCAB_SIZE,
            "max_position_embeddings": CONTEXT_LENGTH,
            "hidden_act": "quick_gelu",
            "layer_norm_eps": 1e-5,
            "bos_token_id": 0,
            "eos_token_id": 2,
            "pad_token_id": 1,
            "projection_dim": shape["projection_dim"],
            "initializer_factor": INITIALIZER_FACTOR,
        },
        vision_config={
            **shape["vision"],
            "image_size": IMAGE_SIZE,
            "patch_size": PATCH_SIZE,
            "num_channels": 3,
            "hidden_act": "quick_gelu",
            "layer_norm_eps": 1e-5,
            "projection_dim": shape["projection_dim"],
            "initializer_factor": INITIALIZER_FACTOR,
        },
    )
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    return config, model


class TextTower(torch.nn.Module):
    """CLIPTextModelWithProjection's outputs over the CLIPModel's own modules (the same weights)."""

    def __init__(self, clip):
        super().__init__()
        self.text_model = clip.text_model
        self.text_projection = clip.text_projection

    def forward(self, input_ids, attention_mask):
        outputs = self.text_model(input_ids=input_ids, attention_mask=attention_mask)
        return self.text_projection(outputs.pooler_output), outputs.last_hidden_state


class VisionTower(torch.nn.Module):
    """CLIPVisionModelWithProjection's outputs over the CLIPModel's own modules (the same weights)."""

    def __init__(self, clip):
        super().__init__()
        self.vision_model = clip.vision_model
        self.visual_projection = clip.visual_projection

    def forward(self, pixel_values):
        outputs = self.vision_model(pixel_values=pixel_values)
        return self.visual_projection(outputs.pooler_output), outputs.last_hidden_state


def export_onnx(model, onnx_dir):
    os.makedirs(onnx_dir, exist_ok=True)
    text_file = os.path.join(onnx_dir, "text_model.onnx")
    vision_file = os.path.join(onnx_dir, "vision_model.onnx")
    ids = torch.full((2, CONTEXT_LENGTH), 49407, dtype=torch.int64)
    ids[:, 0] = 49406
    ids[:, 1:4] = torch.tensor([320, 1929, 49407])
    mask = (torch.arange(CONTEXT_LENGTH) < 4).to(torch.int64).expand(2, -1).contiguous()
    with torch.no_grad():
        torch.onnx.export(
            TextTower(model),
            (ids, mask),
            text_file,
            input_names=["input_ids", "attention_mask"],
            output_names=["text_embeds", "last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch_size", 1: "sequence_length"},
                "attention_mask": {0: "batch_size", 1: "sequence_length"},
                "text_embeds": {0: "batch_size"},
                "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )
        torch.onnx.export(
            VisionTower(model),
            (torch.zeros(2, 3, IMAGE_SIZE, IMAGE_SIZE),),
            vision_file,
            input_names=["pixel_values"],
            output_names=["image_embeds", "last_hidden_state"],
            dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}},
            opset_version=OPSET,
            do_constant_folding=True,
        )
    for file in (text_file, vision_file):
        onnx.checker.check_model(file)
    return text_file, vision_file


def quantize(onnx_file):
    """Dynamic int8 weights as Transformers.js' conversion script publishes them as `*_quantized.onnx`: per-channel
    with reduced range, unsigned for a graph with a Conv (the vision tower's patch embedding: onnxruntime has no
    signed ConvInteger) and signed otherwise."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    has_conv = any(node.op_type == "Conv" for node in onnx.load(onnx_file, load_external_data=False).graph.node)
    target = onnx_file.replace(".onnx", "_quantized.onnx")
    quantize_dynamic(
        onnx_file,
        target,
        per_channel=True,
        reduce_range=True,
        weight_type=QuantType.QUInt8 if has_conv else QuantType.QInt8,
    )
    return target


# --- reference inputs and outputs ----------------------------------------------------------------------------


def reference_images(seed):
    """Fixed images: three at exactly 224 x 224 (sent as raw pixels, so preprocessing is not under test) and a
    non-square JPEG (sent encoded: decoding, resizing and cropping are)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE]
    gradient = np.stack([x * 255 // (IMAGE_SIZE - 1), y * 255 // (IMAGE_SIZE - 1), (x + y) * 255 // (2 * IMAGE_SIZE - 2)], axis=-1)
    blocks = np.kron(rng.integers(0, 256, size=(7, 7, 3)), np.ones((PATCH_SIZE, PATCH_SIZE, 1)))
    noise = rng.integers(0, 256, size=(IMAGE_SIZE, IMAGE_SIZE, 3))
    scene = Image.new("RGB", (320, 240), (235, 228, 210))
    draw = ImageDraw.Draw(scene)
    draw.rectangle((40, 60, 150, 200), fill=(180, 30, 40))
    draw.ellipse((170, 40, 300, 170), fill=(30, 80, 170))
    draw.polygon([(20, 230), (160, 120), (300, 230)], fill=(40, 140, 60))
    return [
        ("gradient-224.png", "pixels", Image.fromarray(gradient.astype(np.uint8))),
        ("blocks-224.png", "pixels", Image.fromarray(blocks.astype(np.uint8))),
        ("noise-224.png", "pixels", Image.fromarray(noise.astype(np.uint8))),
        ("scene-320x240.jpg", "encoded", scene),
    ]


def write_reference_outputs(out, model, tokenizer, seed, geometry):
    from transformers import CLIPImageProcessor

    processor = CLIPImageProcessor.from_pretrained(out)
    encoded = tokenizer(REFERENCE_TEXTS, padding="max_length", max_length=CONTEXT_LENGTH, truncation=True, return_tensors="pt")
    untruncated = tokenizer(REFERENCE_TEXTS, truncation=False)["input_ids"]
    with torch.no_grad():
        text_embeds = torch.nn.functional.normalize(model.get_text_features(**encoded), dim=-1)

    image_dir = os.path.join(out, "reference-images")
    os.makedirs(image_dir, exist_ok=True)
    images = []
    for name, sent_as, image in reference_images(seed):
        path = os.path.join(image_dir, name)
        image.save(path, quality=90) if name.endswith(".jpg") else image.save(path)
        # Read back from the file: for the JPEG, the pixels the embedder will decode, not the ones drawn.
        loaded = Image.open(path).convert("RGB")
        # Raw pixels are already at the model's size: only rescaling and normalisation apply.
        pixel_values = processor(images=loaded, return_tensors="pt", do_resize=sent_as == "encoded", do_center_crop=sent_as == "encoded")["pixel_values"]
        with torch.no_grad():
            embedding = torch.nn.functional.normalize(model.get_image_features(pixel_values=pixel_values), dim=-1)[0]
        images.append({"file": f"reference-images/{name}", "sentAs": sent_as, "embedding": embedding.tolist()})

    import tokenizers
    import transformers

    reference = {
        "generator": f"{SCRIPT} --geometry {geometry} --seed {seed}",
        "producedBy": {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "embeddingDimension": model.config.projection_dim,
        "contextLength": CONTEXT_LENGTH,
        "texts": [
            {
                "text": text,
                "inputIds": encoded["input_ids"][row].tolist(),
                "attentionMask": encoded["attention_mask"][row].tolist(),
                "truncated": len(untruncated[row]) > CONTEXT_LENGTH,
                "embedding": text_embeds[row].tolist(),
            }
            for row, text in enumerate(REFERENCE_TEXTS)
        ],
        "images": images,
    }
    with open(os.path.join(out, "reference-outputs.json"), "w", encoding="utf-8") as handle:
        json.dump(reference, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    return reference


def check_onnx_against_reference(out, reference, files):
    """The exported graphs must reproduce PyTorch on the reference token ids before anything is written as done."""
    import onnxruntime

    session = onnxruntime.InferenceSession(files["text"], providers=["CPUExecutionProvider"])
    ids = np.array([entry["inputIds"] for entry in reference["texts"]], dtype=np.int64)
    mask = np.array([entry["attentionMask"] for entry in reference["texts"]], dtype=np.int64)
    got = session.run(["text_embeds"], {"input_ids": ids, "attention_mask": mask})[0]
    got /= np.linalg.norm(got, axis=1, keepdims=True)
    want = np.array([entry["embedding"] for entry in reference["texts"]], dtype=np.float32)
    difference = float(np.abs(got - want).max())
    if difference > 1e-5:
        raise SystemExit(f"onnx/text_model.onnx differs from PyTorch by {difference}")
    return difference


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main():
    args = parse_args()
    from transformers import CLIPImageProcessor

    out = os.path.abspath(args.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)

    config, model = build_model(args.geometry, args.seed)
    config.save_pretrained(out)
    CLIPImageProcessor(
        do_resize=True,
        size={"shortest_edge": IMAGE_SIZE},
        resample=3,  # bicubic
        do_center_crop=True,
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=CLIP_MEAN,
        image_std=CLIP_STD,
        do_convert_rgb=True,
    ).save_pretrained(out)
    with tempfile.TemporaryDirectory() as work_dir:
        tokenizer = build_tokenizer(work_dir)
        tokenizer.save_pretrained(out)
    # tokenizer.json holds the vocabulary and merges already; the hub's separate copies would add 1.4 MB.
    for redundant in ("vocab.json", "merges.txt"):
        os.remove(os.path.join(out, redundant))

    text_file, vision_file = export_onnx(model, os.path.join(out, "onnx"))
    files = {"text": text_file, "vision": vision_file}
    if args.quantize:
        files["text_quantized"] = quantize(text_file)
        files["vision_quantized"] = quantize(vision_file)
    reference = write_reference_outputs(out, model, tokenizer, args.seed, args.geometry)
    difference = check_onnx_against_reference(out, reference, files)

    for name, path in sorted(files.items()):
        print(f"{os.path.relpath(path, out)}: {os.path.getsize(path):,} bytes, sha256 {sha256(path)}")
    print(f"onnx text tower vs PyTorch on the reference texts: max abs difference {difference:.2e}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
