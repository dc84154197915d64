#!/usr/bin/env bash
# End-to-end tests: the running stack over its public API and in a real
# Chromium (Debian's package, driven by playwright-core; never a browser download).
set -euo pipefail
cd "$(dirname "$0")/../../.."
for setup in tools/setup/chromium.sh; do
  [[ -x "$setup" ]] && bash "$setup"
done
npx jest --selectProjects e2e --ci --runInBand
