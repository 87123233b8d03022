#!/usr/bin/env bash
# Runs a Kafka main class on the jars in /opt/kafka/libs, honouring the official scripts' variables:
# KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS.
# Usage: kafka-run-class.sh <main class> [args...]
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $(basename "$0") <main class> [args...]" >&2
  exit 2
fi

kafka_home="${KAFKA_HOME:-/opt/kafka}"
heap_opts="${KAFKA_HEAP_OPTS:--Xmx256M}"
performance_opts="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
log4j_opts="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$kafka_home/config/tools-log4j2.yaml}"

# Word splitting of the *_OPTS variables is intended: each holds several JVM flags.
# shellcheck disable=SC2086
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" $heap_opts $performance_opts $log4j_opts ${KAFKA_OPTS:-} \
  -cp "$kafka_home/libs/*" "$@"
