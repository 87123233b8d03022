#!/usr/bin/env bash
# Builds the checkpoint inspector (jobs/flink/checkpoint-inspector) with Maven into the user's cache,
# never into the clone: $FC_CACHE/checkpoint-inspector/<inputs hash>/ gets
#   checkpoint-inspector.jar  the tool with the State Processor API packed in (its other dependencies are
#                             the Flink image's /opt/flink/lib)
#   classpath.txt             the same Flink and Kafka connector jars from the local Maven repository,
#                             to run the tool outside the image (the tests)
# Idempotent: nothing is built when a folder for the current inputs (pom.xml, sources) exists.
# Prints the folder's path as its last line. Works from any directory.
set -euo pipefail

scripts_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project_dir="$(cd "$scripts_dir/../jobs/flink/checkpoint-inspector" && pwd)"
FC_CACHE="${FC_CACHE:-${FLINK_CHECKPOINTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-checkpointer}}"

inputs_hash="$(cd "$project_dir" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
out_dir="$FC_CACHE/checkpoint-inspector/$inputs_hash"

if [ -s "$out_dir/checkpoint-inspector.jar" ] && [ -s "$out_dir/classpath.txt" ]; then
  echo "$out_dir"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || {
  echo "checkpoint-inspector: Maven (mvn) is needed to build the checkpoint inspector; install it (Debian: apt-get install maven)" >&2
  exit 1
}

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
cp -r "$project_dir/pom.xml" "$project_dir/src" "$work_dir/"
echo "checkpoint-inspector: building with Maven (inputs $inputs_hash) into $out_dir" >&2
started=$SECONDS
(cd "$work_dir" && nice -n 10 mvn --batch-mode --quiet package \
  dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile="$work_dir/classpath.txt") >&2 || {
  echo "checkpoint-inspector: the Maven build failed (above); it needs Maven's access to its repository for the Flink $(sed -n 's:.*<flink.version>\(.*\)</flink.version>.*:\1:p' "$project_dir/pom.xml") jars" >&2
  exit 1
}
# Assembled beside, then renamed: an interrupted build never leaves a folder that looks complete.
mkdir -p "$FC_CACHE/checkpoint-inspector"
partial="$(mktemp -d "$FC_CACHE/checkpoint-inspector/.partial-XXXXXX")"
cp "$work_dir/target/checkpoint-inspector.jar" "$work_dir/classpath.txt" "$partial/"
rm -rf "$out_dir"
mv "$partial" "$out_dir"
echo "checkpoint-inspector: built in $((SECONDS - started)) s" >&2
echo "$out_dir"
