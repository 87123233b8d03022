#!/usr/bin/env bash
# Sets up this machine, each piece skipped when already done: Node >= 22 (scripts/env.sh), the npm dependencies,
# then the setup program (setup/cli.ts), which builds what the groups asked for need, e.g. for `pulumi up` (the
# default): a Pulumi CLI with the docker and kubernetes providers (built from Go modules when you have none), a
# running Docker Engine and every Flink line's Kafka connector jars. `--help` lists the groups.
# Usage: bash scripts/setup.sh [GROUP...] [--local-images]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing the npm dependencies (npm ci)"
  fc_progress "installing the npm dependencies" npm ci --no-audit --no-fund
fi
exec node_modules/.bin/tsx setup/cli.ts "$@"
