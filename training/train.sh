#!/usr/bin/env bash
# Reproduces the bundled model models/clip-mini from nothing but this repository:
#   1. generates the training catalog (held-out colour × pattern combinations excluded) and two
#      validation catalogs with `npx vsearch generate`,
#   2. preprocesses every image with libs/preprocessing (training/prepare-dataset.ts),
#   3. builds the tokenizer from the caption vocabulary,
#   4. trains (training/train.py), 5. exports ONNX + model.json + reference outputs (training/export.py).
#
#   bash training/train.sh [--device cuda|cpu] [--epochs N] [--time-budget-s S] [--out DIR] [--version V]
#                          [--work DIR] [--train-products N (smoke runs; default 8000)]
#
# Needs Node.js (this repo, npm ci) and a Python 3 with torch, numpy, onnx, onnxruntime, tokenizers and
# pillow. PYTHON selects the interpreter (default: /usr/bin/python3 when it has torch, else python3);
# on Debian: apt-get install python3-torch python3-onnx, then
#   python3 -m pip install --target tmp/pydeps --no-deps tokenizers onnxruntime   (PYTHONPATH is set below).
# Timings are in models/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE=cpu; EPOCHS=200; BUDGET=0; OUT=models/clip-mini; VERSION=1.1.0-local; WORK=tmp/training
TRAIN_PRODUCTS=8000; VAL_PRODUCTS=800; VAL_HELD_OUT_PRODUCTS=200
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --time-budget-s) BUDGET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --train-products) TRAIN_PRODUCTS=$2; VAL_PRODUCTS=$(( $2 / 10 )); VAL_HELD_OUT_PRODUCTS=$(( $2 / 40 + 1 )); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "${PYTHON:-}" ]; then
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHONPATH="$PWD/tmp/pydeps${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PYTHON" -c 'import torch, numpy, onnx, onnxruntime, tokenizers, PIL' || { echo "train.sh: $PYTHON lacks torch/numpy/onnx/onnxruntime/tokenizers/pillow" >&2; exit 1; }

mkdir -p "$WORK"
# shellcheck source=training/catalogs.sh
source training/catalogs.sh
# Seeds: training 1001, validation 2002/2003; `vsearch eval` uses its own seed stream (default seed 7).
generate 1001 "$TRAIN_PRODUCTS" "$WORK/catalog-train" --images-per-product 2 --exclude-held-out
generate 2002 "$VAL_PRODUCTS" "$WORK/catalog-val"
generate 2003 "$VAL_HELD_OUT_PRODUCTS" "$WORK/catalog-val-heldout" --only-held-out

node tools/cli/bin/run-ts.js training/prepare-dataset.ts --out "$WORK/dataset" \
  --train "$WORK/catalog-train" --val "$WORK/catalog-val" --val "$WORK/catalog-val-heldout"
"$PYTHON" training/build_tokenizer.py --dataset "$WORK/dataset" --out "$WORK/dataset/tokenizer.json"
"$PYTHON" training/train.py --dataset "$WORK/dataset" --tokenizer "$WORK/dataset/tokenizer.json" \
  --out "$WORK/checkpoint.pt" --device "$DEVICE" --epochs "$EPOCHS" --time-budget-s "$BUDGET"
"$PYTHON" training/export.py --checkpoint "$WORK/checkpoint.npz" --tokenizer "$WORK/dataset/tokenizer.json" \
  --out "$OUT" --version "$VERSION" --reference-dataset "$WORK/dataset"
node tools/cli/bin/run-ts.js training/measure-threshold.ts --model "$OUT" --write
npx vsearch eval --model "$OUT" --count "$(( TRAIN_PRODUCTS < 8000 ? 100 : 1000 ))"
