#!/usr/bin/env bash
# Starts the broker/controller in the foreground with its log on the console.
# Usage: kafka-server-start.sh <server.properties> [--override key=value ...]
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $(basename "$0") <server.properties> [--override key=value ...]" >&2
  exit 2
fi

kafka_home="${KAFKA_HOME:-/opt/kafka}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$kafka_home/config/log4j2.yaml}"
exec "$kafka_home/bin/kafka-run-class.sh" kafka.Kafka "$@"
