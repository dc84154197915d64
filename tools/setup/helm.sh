#!/usr/bin/env bash
# Helm, built from the Go module proxy (no other download is possible here) and
# cached, so only the first run on a machine pays for the compile (a few minutes
# on 2 cores). Prints the path of the helm binary on stdout; progress on stderr.
# The ldflags are those of Helm's own Makefile: without them `helm version`
# says "v3.22" and `helm template` assumes Kubernetes 1.20 for .Capabilities.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
K8S_MINOR="${HELM_K8S_MINOR:-37}" # k8s.io/* v0.37 in Helm v3.22's go.mod
cache="${VSEARCH_TOOLS_CACHE:-$HOME/.cache/vsearch/bin}/helm-${HELM_VERSION}"
bin="$cache/helm"

if [[ -x "$bin" ]] && "$bin" version --short 2>/dev/null | grep -qE "^${HELM_VERSION}([+]|$)"; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "helm.sh: Go is needed to build Helm (go install)" >&2; exit 1; }
echo "helm.sh: building helm ${HELM_VERSION} with go install (cached in $cache)" >&2
mkdir -p "$cache"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1 -X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${K8S_MINOR}"
done
# Outside the repository, so no go.mod of ours is consulted.
(cd "$cache" && GOFLAGS=-buildvcs=false GOBIN="$cache" CGO_ENABLED=0 \
  go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2)
"$bin" version --short >&2
echo "$bin"
