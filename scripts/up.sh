#!/usr/bin/env bash
# Sets up what is missing and brings a stack up: `npm run up` (stack "docker") or `npm run up -- <stack>`.
# The stack "ci" uses locally built images (scripts/images.sh), for machines without registry access.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-${STACK:-docker}}"
if [ ! -f "Pulumi.$stack.yaml" ]; then
  echo "up: no stack file Pulumi.$stack.yaml; stacks here: $(ls Pulumi.*.yaml | sed -E 's/Pulumi\.(.*)\.yaml/\1/' | tr '\n' ' ')" >&2
  exit 2
fi
setup_args=()
grep -q 'flink-checkpointer-local/' "Pulumi.$stack.yaml" && setup_args+=(--local-images)
bash scripts/setup.sh "${setup_args[@]}"
# shellcheck source=scripts/env.sh
source scripts/env.sh

printf '\n== pulumi up (stack %s, backend %s)\n' "$stack" "$PULUMI_BACKEND_URL"
pulumi stack select --create "$stack" --non-interactive
start=$SECONDS
pulumi up --yes --skip-preview --non-interactive --stack "$stack"
echo "   pulumi up took $(( SECONDS - start )) s"
pulumi stack output --stack "$stack"
cat <<EON

The stack is up. Flink UI: $(pulumi stack output flinkRestUrl --stack "$stack")
Run the cancel-and-restore verification:  npm run verify -- --stack $stack
Tear it down:                             npm run down -- $stack
EON
