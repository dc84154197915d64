#!/usr/bin/env bash
# The one test command (`npm test`): every step under tools/test/steps, in
# name order. Each step is a script that exits non-zero on failure; the run
# stops at the first failure and says which step it was.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ONNXRUNTIME_NODE_INSTALL=skip
export NODE_OPTIONS="${NODE_OPTIONS:-} --max-old-space-size=4096"

only="${1:-}"
started=$(date +%s)
for step in tools/test/steps/*.sh; do
  name=$(basename "$step" .sh)
  if [[ -n "$only" && "$name" != *"$only"* ]]; then continue; fi
  echo
  echo "=== test step: $name ==="
  step_started=$(date +%s)
  if ! bash "$step"; then
    echo "=== test step FAILED: $name ($(( $(date +%s) - step_started ))s) ===" >&2
    exit 1
  fi
  echo "=== test step passed: $name ($(( $(date +%s) - step_started ))s) ==="
done
echo
echo "all test steps passed in $(( $(date +%s) - started ))s"
