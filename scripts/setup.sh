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

# The toolchain's Go caches and the images take several GiB; running out half-way leaves confusing errors.
min_free_gib="${FC_MIN_FREE_GIB:-5}"
check_free_space() { # path, what it holds
  local dir="$1"
  while [ ! -e "$dir" ]; do dir="$(dirname "$dir")"; done
  local free_kib; free_kib="$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')"
  if [ "$free_kib" -lt $(( min_free_gib * 1024 * 1024 )) ]; then
    echo "setup: ERROR: only $(( free_kib / 1024 / 1024 )) GiB free on $(df -P "$dir" | awk 'NR == 2 { print $6 }') (holding $2); the builds and images need about $min_free_gib GiB: free some space there and run again (FC_MIN_FREE_GIB sets the limit)" >&2
    exit 1
  fi
}
step "free disk space"
check_free_space "$FC_CACHE" "the caches in $FC_CACHE"
check_free_space "$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || echo /var/lib/docker)" "Docker's images"
echo "   at least $min_free_gib GiB free for the caches and Docker's images"

step "npm dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  timed npm ci --no-audit --no-fund
else
  echo "   node_modules is up to date"
fi

# The toolchain build (Go, CPU) and the Docker Engine, connector and image steps (apt, Maven, debootstrap: mostly
# downloads) are independent: the toolchain builds in the background, its output in a log shown when it ends.
toolchain_log="$FC_CACHE/setup-toolchain.log"
step "Pulumi CLI and providers (in the background; log $toolchain_log)"
toolchain_start=$SECONDS
bash scripts/toolchain.sh >"$toolchain_log" 2>&1 &
toolchain_pid=$!
# A step below that fails ends setup; the build must not go on alone.
trap 'kill "$toolchain_pid" 2>/dev/null || true' EXIT

step "Docker Engine"
timed bash scripts/docker-engine.sh

step "Kafka connector jar for the job image"
timed bash scripts/fetch-connector-jars.sh

if $local_images; then
  step "local equivalents of the official images"
  timed bash scripts/images.sh
fi

step "Pulumi CLI and providers"
toolchain_rc=0
wait "$toolchain_pid" || toolchain_rc=$?
trap - EXIT
cat "$toolchain_log"
echo "   ($(( SECONDS - toolchain_start )) s, beside the steps above)"
if [ "$toolchain_rc" -ne 0 ]; then
  echo "setup: ERROR: the Pulumi toolchain could not be provided (exit $toolchain_rc); its log above says which piece failed" >&2
  exit "$toolchain_rc"
fi
