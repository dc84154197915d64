#!/usr/bin/env bash
# TypeScript strict mode over every project.
set -euo pipefail
npx tsc -p tsconfig.json --noEmit
