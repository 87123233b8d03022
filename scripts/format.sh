#!/usr/bin/env bash
# `npm run format`: rewrites the code in the project's one style (biome for TypeScript, ruff for Python).
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(bash scripts/dev-tools.sh)"
node_modules/.bin/biome check --write .
"$tools/ruff" format jobs
"$tools/ruff" check --fix jobs
