#!/usr/bin/env bash
# Reproduces the bundled describer models/describer-mini from nothing but this repository:
#   1. generates the training catalog (held-out colour × pattern combinations excluded) and two validation
#      catalogs with `npx vsearch generate`,
#   2. preprocesses every image with libs/preprocessing (training/prepare-dataset.ts),
#   3. builds the tokenizer (training/describer/tokenizer.py), 4. trains (training/describer/train.py, history
#      into training/runs/), 5. exports ONNX + model.json + reference outputs and checks onnxruntime against
#      PyTorch (training/describer/export.py).
#
#   bash training/train-describer.sh [--device cpu|cuda] [--epochs N] [--time-budget-s S] [--seed N]
#                                    [--out DIR] [--version V] [--work DIR] [--train-products N] [--threads N]
#                                    [--yes-no-loss-weight W] [--no-paired-yes-no] [--eval-every-s S]
#                                    [--stage2-budget-s S]
#
# Training runs in two stages: the first from random weights, the second (--stage2-budget-s, 0 to skip) from the
# first's checkpoint with a fresh warm-up and cosine schedule at half the learning rate (a warm restart). The bundled
# 1.2.0 was trained this way (45 + 30 min); the second stage also lets a run be extended without starting over.
#
# Needs Node.js (this repo, npm ci) and a Python 3 with torch, numpy, onnxruntime, tokenizers and pillow (torch's
# ONNX exporter does not import the onnx package).
# PYTHON selects the interpreter (default: /usr/bin/python3 when it has torch, else python3); on Debian:
#   apt-get install python3-torch python3-onnx
#   python3 -m pip install --target tmp/pydeps --no-deps tokenizers onnxruntime   (PYTHONPATH is set below).
# Timings and figures are in training/describer/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE=cpu; EPOCHS=200; BUDGET=2700; SEED=1; OUT=models/describer-mini; VERSION=1.2.0; WORK=tmp/describer
TRAIN_PRODUCTS=3000; VAL_PRODUCTS=300; VAL_HELD_OUT_PRODUCTS=100; THREADS=1
YES_NO_LOSS_WEIGHT=4; PAIRED_YES_NO=--paired-yes-no; EVAL_EVERY_S=0; STAGE2_BUDGET=1800
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --time-budget-s) BUDGET=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --yes-no-loss-weight) YES_NO_LOSS_WEIGHT=$2; shift 2 ;;
    --no-paired-yes-no) PAIRED_YES_NO=; shift ;;
    --eval-every-s) EVAL_EVERY_S=$2; shift 2 ;;
    --stage2-budget-s) STAGE2_BUDGET=$2; shift 2 ;;
    --train-products) TRAIN_PRODUCTS=$2; VAL_PRODUCTS=$(( $2 / 10 )); VAL_HELD_OUT_PRODUCTS=$(( $2 / 30 + 1 )); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "${PYTHON:-}" ]; then
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHONPATH="$PWD/training:$PWD/tmp/pydeps${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PYTHON" -c 'import torch' 2>/dev/null || {
  echo "train-describer.sh: $PYTHON lacks torch; on Debian: apt-get install python3-torch python3-onnx" >&2; exit 1; }
"$PYTHON" -c 'import numpy, onnxruntime, tokenizers, PIL' 2>/dev/null || {
  echo "train-describer.sh: $PYTHON lacks onnxruntime/tokenizers/numpy/pillow; run: $PYTHON -m pip install --target tmp/pydeps --no-deps tokenizers onnxruntime" >&2; exit 1; }

mkdir -p "$WORK"
# shellcheck source=training/catalogs.sh
source training/catalogs.sh
# Seeds: training 1001 (as clip-mini), validation 2002 (seen combinations) and 2003 (held-out combinations only).
generate 1001 "$TRAIN_PRODUCTS" "$WORK/catalog-train" --images-per-product 2 --exclude-held-out
generate 2002 "$VAL_PRODUCTS" "$WORK/catalog-val" --images-per-product 1
generate 2003 "$VAL_HELD_OUT_PRODUCTS" "$WORK/catalog-val-heldout" --images-per-product 1 --only-held-out

if [ ! -f "$WORK/dataset/dataset.json" ] || [ "$WORK/catalog-train/.complete" -nt "$WORK/dataset/dataset.json" ]; then
  node tools/cli/bin/run-ts.js training/prepare-dataset.ts --out "$WORK/dataset" \
    --train "$WORK/catalog-train" --val "$WORK/catalog-val" --val "$WORK/catalog-val-heldout"
fi
"$PYTHON" -m describer.tokenizer --dataset "$WORK/dataset" --out "$WORK/tokenizer.json"
mkdir -p training/runs
"$PYTHON" -m describer.train --dataset "$WORK/dataset" --tokenizer "$WORK/tokenizer.json" --out "$WORK/checkpoint.npz" \
  --history "training/runs/describer-mini-$VERSION.history.json" --device "$DEVICE" --epochs "$EPOCHS" \
  --time-budget-s "$BUDGET" --seed "$SEED" --threads "$THREADS" --yes-no-loss-weight "$YES_NO_LOSS_WEIGHT" \
  --eval-every-s "$EVAL_EVERY_S" $PAIRED_YES_NO
CHECKPOINT="$WORK/checkpoint.npz"
if [ "$STAGE2_BUDGET" != 0 ]; then
  "$PYTHON" -m describer.train --dataset "$WORK/dataset" --tokenizer "$WORK/tokenizer.json" --out "$WORK/checkpoint-stage2.npz" \
    --history "training/runs/describer-mini-$VERSION.stage2.history.json" --device "$DEVICE" --epochs "$EPOCHS" \
    --time-budget-s "$STAGE2_BUDGET" --seed "$((SEED + 1))" --threads "$THREADS" --yes-no-loss-weight "$YES_NO_LOSS_WEIGHT" \
    --eval-every-s "$EVAL_EVERY_S" $PAIRED_YES_NO --lr 1.5e-3 --init-checkpoint "$WORK/checkpoint.npz"
  CHECKPOINT="$WORK/checkpoint-stage2.npz"
fi
"$PYTHON" -m describer.export --checkpoint "$CHECKPOINT" --tokenizer "$WORK/tokenizer.json" \
  --dataset "$WORK/dataset" --out "$OUT" --version "$VERSION"
