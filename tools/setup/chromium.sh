#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (driven by playwright-core,
# never a browser download). Idempotent and quiet: does nothing when
# /usr/bin/chromium is already there.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
as_root=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo -n); else
    echo "chromium.sh: /usr/bin/chromium is missing and this user cannot install it (not root, no sudo)" >&2
    exit 1
  fi
fi
echo "chromium.sh: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >/dev/null
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
