#!/usr/bin/env bash
# Puts the Flink Kafka connector and its runtime dependencies (kafka-clients, ...) into
# jobs/flink/lib/, where the job image's Dockerfile copies them onto Flink's classpath.
# Maven resolves the connector's own runtime dependency list, so the kafka-clients version is the
# one the connector release was built and tested with. Dependencies Flink already ships (Flink's
# own modules, slf4j) are "provided" or excluded, so they are not doubled on the classpath.
# Idempotent: does nothing when this connector version was fetched already. Works from any directory.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The default Flink line's connector (versions.json), into jobs/flink/lib/<line>/.
read -r flink_line FLINK_KAFKA_CONNECTOR_VERSION maven_plugin < <(python3 -c 'import json, sys; v = json.load(open(sys.argv[1])); line = v["defaultFlinkLine"]; print(line, v["flinkLines"][line]["kafkaConnector"], v["maven"]["dependencyPlugin"])' "$repo_root/versions.json")
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:$maven_plugin"
lib_dir="$repo_root/jobs/flink/lib/$flink_line"
fetched_stamp="$lib_dir/.fetched-flink-connector-kafka-${FLINK_KAFKA_CONNECTOR_VERSION}"

if [ -f "$fetched_stamp" ]; then
  echo "fetch-connector-jars: flink-connector-kafka ${FLINK_KAFKA_CONNECTOR_VERSION} is already in $lib_dir"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || {
  echo "fetch-connector-jars: Maven (mvn) is needed to fetch the Kafka connector; install it (Debian: apt-get install maven)" >&2
  exit 1
}

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

# A throw-away project whose only dependency is the connector: copy-dependencies then copies the
# connector with exactly its runtime closure.
cat >"$work_dir/pom.xml" <<POM
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.flink-checkpointer</groupId>
  <artifactId>kafka-connector-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.flink</groupId>
      <artifactId>flink-connector-kafka</artifactId>
      <version>${FLINK_KAFKA_CONNECTOR_VERSION}</version>
    </dependency>
  </dependencies>
</project>
POM

# A different connector version must not leave its jars next to the new ones.
rm -rf "$lib_dir"
mkdir -p "$lib_dir"
echo "fetch-connector-jars: fetching org.apache.flink:flink-connector-kafka:${FLINK_KAFKA_CONNECTOR_VERSION} and its runtime dependencies into $lib_dir"
(cd "$work_dir" && mvn --batch-mode --quiet \
  "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
  -DincludeScope=runtime \
  -DexcludeArtifactIds=slf4j-api \
  -DoutputDirectory="$lib_dir") || {
  echo "fetch-connector-jars: Maven could not fetch flink-connector-kafka:${FLINK_KAFKA_CONNECTOR_VERSION}; check its version in versions.json (it ends in its Flink line) and Maven's access to its repository" >&2
  exit 1
}

[ -s "$lib_dir/flink-connector-kafka-${FLINK_KAFKA_CONNECTOR_VERSION}.jar" ] || {
  echo "fetch-connector-jars: Maven finished but flink-connector-kafka-${FLINK_KAFKA_CONNECTOR_VERSION}.jar is not in $lib_dir" >&2
  exit 1
}
touch "$fetched_stamp"
echo "fetch-connector-jars: done:"
ls -1 "$lib_dir"/*.jar
