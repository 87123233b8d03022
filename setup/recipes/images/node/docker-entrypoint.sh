#!/usr/bin/env bash
# Like the node image's entrypoint: arguments that are options or not a command go to node
# (`docker run image script.js`, `docker run image --version`); a command runs as given.
set -euo pipefail

if [ $# -eq 0 ] || [[ "$1" == -* ]] || ! command -v "$1" >/dev/null 2>&1 || { [ -f "$1" ] && [ ! -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
