#!/usr/bin/env bash
# buf lint (STANDARD + COMMENTS) and a stale-generated-code check.
set -euo pipefail
npx buf lint
bash tools/proto/check-generated.sh
