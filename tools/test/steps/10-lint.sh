#!/usr/bin/env bash
# ESLint over every project, including the module-boundary rule.
set -euo pipefail
npx eslint . --max-warnings=0
