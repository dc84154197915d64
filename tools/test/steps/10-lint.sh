#!/usr/bin/env bash
# Formatting (Prettier: `npm run format` fixes it) and ESLint over every
# project, including the module-boundary rule. That rule reads Nx's cached
# project graph and silently skips itself when there is none (a fresh clone),
# so compute the graph first.
set -euo pipefail
npx prettier --check . --log-level warn
npx nx show projects > /dev/null
npx eslint . --max-warnings=0
