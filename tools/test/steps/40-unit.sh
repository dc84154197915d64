#!/usr/bin/env bash
# Unit tests: logic with fakes only.
set -euo pipefail
npx jest --selectProjects unit --ci
