#!/usr/bin/env bash
# Fails when libs/proto/src/generated differs from what `npm run proto:generate` writes from proto/.
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
npx buf generate -o "$scratch"
if ! diff -r "$scratch/libs/proto/src/generated" libs/proto/src/generated; then
  echo "generated proto code is stale: run 'npm run proto:generate' and commit the result" >&2
  exit 1
fi
echo "generated proto code is up to date"
