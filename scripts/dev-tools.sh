#!/usr/bin/env bash
# The Python tools `npm test` runs (pytest, ruff, shellcheck), at the versions of versions.json's devTools, in a
# virtual environment in the user's cache; prints its bin folder. Idempotent: an environment of the same pins is kept.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${FLINK_CHECKPOINTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-checkpointer}"
command -v python3 >/dev/null || { echo "dev-tools: Python 3 is missing; npm test runs pytest, ruff and shellcheck with it: install python3" >&2; exit 1; }
pins="$(python3 -c 'import json, sys; print(" ".join(f"{k}=={v}" for k, v in sorted(json.load(open(sys.argv[1]))["devTools"].items())))' "$repo/versions.json")"
venv="$cache/python-dev"
if [ "$(cat "$venv/pins" 2>/dev/null)" != "$pins" ]; then
  echo "dev-tools: installing $pins into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || { echo "dev-tools: python3 -m venv failed; install Debian's python3-venv" >&2; exit 1; }
  # shellcheck disable=SC2086  # the pins are words
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pins >&2
  echo "$pins" >"$venv/pins"
fi
echo "$venv/bin"
