#!/usr/bin/env bash
# First stage of the Flink image build: installs PyFlink and the Flink runtime from the wheels of
# the PyPI packages apache-flink / apache-flink-libraries, and lays the runtime out as a Flink
# distribution in /opt/flink, the way the official image has it.
# Usage: install-flink-home.sh <PyFlink version> <wheel folder>
set -euo pipefail

pyflink_version="$1"
wheel_dir="$2"
flink_home="/opt/flink"

pip install --no-index --find-links "$wheel_dir" \
  "apache-flink==$pyflink_version" "apache-flink-libraries==$pyflink_version"

pyflink_dir="$(python3 -c 'import os, pyflink; print(os.path.dirname(pyflink.__file__))')"

# The distribution lives in /opt/flink; PyFlink keeps finding it through links (and FLINK_HOME).
mkdir -p "$flink_home"
for part in bin conf lib opt plugins log; do
  mv "$pyflink_dir/$part" "$flink_home/$part"
  ln -s "$flink_home/$part" "$pyflink_dir/$part"
done
rm -f "$flink_home/log/empty.txt"
chmod 755 "$flink_home"/bin/*.sh "$flink_home/bin/flink"

# The shipped defaults bind RPC and REST to localhost; other containers must reach them, so bind to
# every interface and let the TaskManager announce its own address (what the official image does),
# using Flink's own configuration tool.
"$flink_home/bin/config-parser-utils.sh" "$flink_home/conf" "$flink_home/bin" "$flink_home/lib" \
  -repKV "rest.address,localhost,0.0.0.0" \
  -repKV "rest.bind-address,localhost,0.0.0.0" \
  -repKV "jobmanager.bind-host,localhost,0.0.0.0" \
  -repKV "taskmanager.bind-host,localhost,0.0.0.0" \
  -rmKV "taskmanager.host=localhost"
