#!/usr/bin/env bash
# Destroys a stack's resources: `npm run down` (stack "docker") or `npm run down -- <stack>`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
stack="${1:-${STACK:-docker}}"
pulumi destroy --yes --skip-preview --non-interactive --stack "$stack"
