#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker + controller) for tests,
# benchmarks and local development, run from Maven Central's jars (never a mock, never a
# tarball download).
#
#   tools/kafka/kafka.sh start [--print-brokers]   start (or reuse) the broker, print 127.0.0.1:PORT
#   tools/kafka/kafka.sh stop                      kill it and remove its data
#   tools/kafka/kafka.sh status                    print the address when running, exit 1 otherwise
#   tools/kafka/kafka.sh kill | restart            stop keeping the data / start again on the same port
#
# Environment:
#   KAFKA_STATE_DIR   where pid file, config, data and log live (default <repo>/tmp/kafka);
#                     a separate dir gives a separate broker (tests that kill a broker use one)
#   KAFKA_PORT        fixed client port (default: a free port)
#   KAFKA_VERSION     org.apache.kafka:kafka_2.13 version (default from pom.xml)
#   VSEARCH_CACHE_DIR jar cache root (default ~/.cache/vsearch); jars go to kafka/<version>/libs
#   KAFKA_START_TIMEOUT_S  seconds to wait for the broker to answer (default 120)
#   KAFKA_HEAP_OPTS   JVM heap (default -Xms256m -Xmx512m)
#
# Logs go to stderr; with --print-brokers stdout carries only the bootstrap address.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state_dir="${KAFKA_STATE_DIR:-$repo/tmp/kafka}"
version="${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")}"
cache_root="${VSEARCH_CACHE_DIR:-$HOME/.cache/vsearch}"
libs_dir="$cache_root/kafka/$version/libs"
pid_file="$state_dir/kafka.pid"
brokers_file="$state_dir/brokers"
log_file="$state_dir/kafka.log"
timeout_s="${KAFKA_START_TIMEOUT_S:-120}"

log() { echo "[kafka] $*" >&2; }

is_running() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

fetch_jars() {
  if [[ -f "$libs_dir/.complete" ]]; then return 0; fi
  log "resolving Apache Kafka $version jars from Maven Central into $libs_dir (first run only)"
  local tmp="$libs_dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    log "mvn failed to resolve the broker's jars"
    exit 1
  fi
  rm -rf "$libs_dir"
  mv "$tmp" "$libs_dir"
  touch "$libs_dir/.complete"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# Waits until an admin client lists topics, then creates the catalog topics with the right
# defaults (catalog.products.v1 compacted). kafkajs is a project dependency.
wait_and_create_topics() {
  local brokers="$1"
  (cd "$repo" && KAFKA_WAIT_BROKERS="$brokers" KAFKA_WAIT_TIMEOUT_S="$timeout_s" node "$here/wait-ready.js")
}

java_cmd() {
  local main="$1"
  shift
  # shellcheck disable=SC2086
  java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$state_dir/log4j2.properties" \
    -cp "$libs_dir/*" "$main" "$@"
}

start() {
  local print_only="$1"
  if is_running && [[ -f "$brokers_file" ]]; then
    local brokers
    brokers="$(cat "$brokers_file")"
    log "already running (pid $(cat "$pid_file")) at $brokers"
    wait_and_create_topics "$brokers" >&2
    announce "$brokers" "$print_only"
    return 0
  fi
  command -v java >/dev/null || { log "java (17+) is required"; exit 1; }
  command -v mvn >/dev/null || { log "mvn is required to resolve the broker's jars"; exit 1; }
  fetch_jars

  rm -rf "$state_dir"
  mkdir -p "$state_dir/data"
  local port controller_port
  port="${KAFKA_PORT:-$(free_port)}"
  controller_port="$(free_port)"
  while [[ "$controller_port" == "$port" ]]; do controller_port="$(free_port)"; done

  cat >"$state_dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$state_dir/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.cleaner.dedupe.buffer.size=8388608
log.segment.bytes=16777216
EOF
  cat >"$state_dir/log4j2.properties" <<'EOF'
status = error
name = vsearch-kafka
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = INFO
EOF

  local cluster_id
  cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>>"$log_file" | tail -n 1)"
  if ! java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$state_dir/server.properties" \
      --ignore-formatted >>"$log_file" 2>&1; then
    log "storage format failed:"
    tail -n 40 "$log_file" >&2
    exit 1
  fi

  log "starting Apache Kafka $version on 127.0.0.1:$port (controller $controller_port, state $state_dir)"
  echo "127.0.0.1:$port" >"$state_dir/address"
  launch_and_wait "$print_only"
}

# Starts the broker from the config and data already in $state_dir and waits for it.
launch_and_wait() {
  local print_only="$1"
  local brokers
  brokers="$(cat "$state_dir/address")"
  # setsid: the broker must outlive this script and must not get the caller's Ctrl-C;
  # 9>&-: it must not inherit (and hold forever) the lock of this script.
  setsid bash -c "exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dlog4j2.configurationFile='$state_dir/log4j2.properties' \
    -cp '$libs_dir/*' kafka.Kafka '$state_dir/server.properties'" >>"$log_file" 2>&1 </dev/null 9>&- &
  echo $! >"$pid_file"
  if ! wait_and_create_topics "$brokers" >&2; then
    log "broker did not answer within ${timeout_s}s; log tail:"
    tail -n 60 "$log_file" >&2 || true
    stop_broker
    exit 1
  fi
  if ! is_running; then
    log "broker exited; log tail:"
    tail -n 60 "$log_file" >&2 || true
    exit 1
  fi
  echo "$brokers" >"$brokers_file"
  announce "$brokers" "$print_only"
}

announce() {
  if [[ "$2" == "1" ]]; then
    echo "$1"
  else
    log "ready: export KAFKA_BROKERS=$1"
    echo "$1"
  fi
}

stop_broker() {
  if [[ -f "$pid_file" ]]; then
    local pid
    pid="$(cat "$pid_file")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        log "broker did not stop in 10 s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
}

cmd="${1:-}"
shift || true
print_only=0
for arg in "$@"; do
  case "$arg" in
    --print-brokers) print_only=1 ;;
    *) log "unknown option $arg"; exit 2 ;;
  esac
done

# One command at a time per state dir: parallel test workers may all ask for the broker at once.
if [[ "$cmd" == start || "$cmd" == stop || "$cmd" == restart || "$cmd" == kill ]] && command -v flock >/dev/null; then
  mkdir -p "$(dirname "$state_dir")"
  exec 9>"$state_dir.lock"
  flock 9
fi

case "$cmd" in
  start) start "$print_only" ;;
  restart)
    # Restarts a stopped or killed broker on the same port with its data kept (broker-outage tests).
    if is_running; then stop_broker; fi
    [[ -f "$state_dir/address" ]] || { log "nothing to restart in $state_dir"; exit 1; }
    fetch_jars
    launch_and_wait "$print_only"
    ;;
  kill)
    # Stops the broker and keeps its data (broker-outage tests), unlike stop.
    stop_broker
    log "killed; data kept in $state_dir"
    ;;
  stop)
    stop_broker
    rm -rf "$state_dir"
    log "stopped"
    ;;
  status)
    if is_running && [[ -f "$brokers_file" ]]; then
      log "running (pid $(cat "$pid_file"))"
      cat "$brokers_file"
    else
      log "not running"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start [--print-brokers] | stop | status | kill | restart" >&2
    exit 2
    ;;
esac
