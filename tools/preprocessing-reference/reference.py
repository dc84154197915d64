#!/usr/bin/env python3
"""Reference implementation of the model's image preprocessing rule with PIL.

The rule (model.json `image`: resize `shortest-side-bicubic`, crop `center`), as
torchvision / Hugging Face CLIP apply it:
  1. decode the first frame, apply the EXIF orientation (ImageOps.exif_transpose);
  2. convert to 8-bit RGB; alpha is composited over white;
  3. resize so the shortest side is `size`, the other side floor(size * long / short),
     with PIL's BICUBIC filter (Keys cubic, a = -0.5, antialiased when shrinking);
  4. crop the centre size x size square at floor((side - size) / 2).

It writes the expected uint8 RGB tensors as PNG files (lossless):
  libs/preprocessing/fixtures/reference/<fixture>.<size>.png
which libs/preprocessing/src/fidelity.int-spec.ts compares with preprocessImage().

Usage: python3 tools/preprocessing-reference/reference.py   (needs Pillow: pip install pillow)
"""
import os
import sys

from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "libs", "preprocessing", "fixtures")
REFERENCE = os.path.join(FIXTURES, "reference")
SIZES = (64, 224)


def to_rgb(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: keep the top 8 bits.
        image = image.point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def preprocess(path: str, size: int) -> Image.Image:
    image = Image.open(path)
    image.seek(0)
    image = ImageOps.exif_transpose(image)
    image = to_rgb(image)
    width, height = image.size
    if width <= height:
        new_width, new_height = size, max(size, (size * height) // width)
    else:
        new_width, new_height = max(size, (size * width) // height), size
    image = image.resize((new_width, new_height), Image.BICUBIC)
    left = (new_width - size) // 2
    top = (new_height - size) // 2
    return image.crop((left, top, left + size, top + size))


def main() -> int:
    os.makedirs(REFERENCE, exist_ok=True)
    names = sorted(name for name in os.listdir(FIXTURES) if os.path.isfile(os.path.join(FIXTURES, name)))
    for name in names:
        for size in SIZES:
            output = preprocess(os.path.join(FIXTURES, name), size)
            assert output.size == (size, size) and output.mode == "RGB"
            target = os.path.join(REFERENCE, f"{name}.{size}.png")
            output.save(target, optimize=True)
            print(f"{name} -> {os.path.relpath(target, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
