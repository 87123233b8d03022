#!/usr/bin/env bash
# `npm test`: every check that needs no running stack, each named as it runs; stops at the first that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(bash scripts/dev-tools.sh)"
step() { printf '\n== %s\n' "$1"; shift; "$@"; }
step "TypeScript: types" node_modules/.bin/tsc -p tsconfig.json --noEmit
# Pulumi runs the program through its own ts-node, which compiles without strict mode: what infra/ imports must
# compile that way too.
step "TypeScript: the Pulumi program as Pulumi compiles it" node_modules/.bin/tsc --noEmit --strict false --target ES2022 \
  --module commonjs --moduleResolution node --types node --esModuleInterop --resolveJsonModule --skipLibCheck infra/index.ts
step "TypeScript: format, lint, import cycles (biome)" node_modules/.bin/biome ci .
step "TypeScript: unit tests (vitest)" node_modules/.bin/vitest run
step "Python: lint and format (ruff)" sh -c "'$tools/ruff' check jobs && '$tools/ruff' format --check jobs"
step "Python: unit tests (pytest)" "$tools/python" -m pytest -q jobs/flink
# shellcheck disable=SC2046  # one word per file
step "shell: shellcheck" "$tools/shellcheck" -S warning -x $(git ls-files '*.sh') .ci/run setup/recipes/images/kafka/run
