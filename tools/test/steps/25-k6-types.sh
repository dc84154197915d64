#!/usr/bin/env bash
# The k6 scripts (for SREs; k6 is AGPL and not installed here) are type-checked with @types/k6.
set -euo pipefail
npx tsc -p load-tests/k6/tsconfig.json
