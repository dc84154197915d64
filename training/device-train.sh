#!/usr/bin/env bash
# The GPU leg of training/train.sh, for a machine without Node.js: trains on a dataset prepared
# here (prepare-dataset.ts + build_tokenizer.py, copied to DATASET), exports and checks ONNX parity
# with onnxruntime there, and writes the checkpoint, history, log and exported model to OUT.
#   DATASET=.device/dataset OUT=/some/dir bash training/device-train.sh [train.py args...]
set -uo pipefail
export PYTHONUNBUFFERED=1
DATASET=${DATASET:-.device/dataset}
OUT=${OUT:?set OUT}
mkdir -p "$OUT"
{
  nvidia-smi -L || true
  python3 -c 'import torch, onnxruntime, tokenizers, PIL, numpy; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "ort", onnxruntime.__version__)'
  python3 training/train.py --dataset "$DATASET" --tokenizer "$DATASET/tokenizer.json" --out "$OUT/checkpoint.pt" --device cuda "$@"
  status=$?
  if [ $status -eq 0 ]; then
    python3 training/export.py --checkpoint "$OUT/checkpoint.npz" --tokenizer "$DATASET/tokenizer.json" --out /tmp/clip-mini \
      --version device-check --reference-dataset "$DATASET" > /tmp/export.log 2>&1 && grep parity /tmp/export.log || { echo "export on device failed"; tail -20 /tmp/export.log; }
    tar czf "$OUT/model-device.tgz" -C /tmp clip-mini 2>/dev/null || true
  fi
  exit $status
} 2>&1 | tee "$OUT/train.log"
