#!/usr/bin/env bash
# Integration tests against real parts: a real Apache Kafka broker (started
# here from Maven Central's jars unless KAFKA_BROKERS points at a cluster),
# onnxruntime with the bundled model, sharp, the embedded store, local HTTP servers,
# and a real Chromium for the web page's integration tests (describe.web.int-spec.ts):
# installed here too, since this step runs before the e2e step on a new machine.
set -euo pipefail
cd "$(dirname "$0")/../../.."
for setup in tools/setup/chromium.sh; do
  [[ -x "$setup" ]] && bash "$setup"
done
started_kafka=""
if [[ -z "${KAFKA_BROKERS:-}" && -x tools/kafka/kafka.sh ]]; then
  export KAFKA_BROKERS=$(bash tools/kafka/kafka.sh start --print-brokers)
  started_kafka=1
  trap 'bash tools/kafka/kafka.sh stop || true' EXIT
fi
echo "integration tests with KAFKA_BROKERS=${KAFKA_BROKERS:-<none>}"
npx jest --selectProjects integration --ci --runInBand
