#!/usr/bin/env bash
# Everything `pulumi up` needs on this machine, each step skipped when already done:
#   Node >= 22 (scripts/env.sh), npm dependencies, a Pulumi CLI with the docker and kubernetes providers
#   (built from Go modules by scripts/toolchain.sh when the user has none), a running Docker Engine,
#   the Kafka connector jar for the job image, and — with --local-images — local equivalents of the
#   official images for machines that reach no container registry.
# Usage: bash scripts/setup.sh [--local-images]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

local_images=false
for arg in "$@"; do
  case "$arg" in
    --local-images) local_images=true ;;
    *) echo "setup: unknown argument '$arg'; allowed: --local-images" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
timed() { local start=$SECONDS; "$@"; echo "   ($(( SECONDS - start )) s)"; }

step "npm dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  timed npm ci --no-audit --no-fund
else
  echo "   node_modules is up to date"
fi

step "Pulumi CLI and providers"
timed bash scripts/toolchain.sh

step "Docker Engine"
timed bash scripts/docker-engine.sh

step "Kafka connector jar for the job image"
timed bash scripts/fetch-connector-jars.sh

if $local_images; then
  step "local equivalents of the official images"
  timed bash scripts/images.sh
fi
