#!/usr/bin/env bash
# Sets up what is missing and brings a stack up: `npm run up` (stack "docker") or `npm run up -- <stack>`.
#
# Images, decided before `pulumi up` so that nothing is half made: the image keys a stack does not set
# (flinkImage, kafkaImage, nodeImage) default to the official images. When one of them is neither on this
# machine nor pullable (no registry access), this says so in one line, builds the local equivalents
# (bash scripts/setup.sh local-images) and runs `pulumi up` with FLINK_CHECKPOINTER_IMAGES=local, which infra/config.ts takes as
# the image defaults; no stack file changes, and the stack output `images` shows what was used.
# FLINK_CHECKPOINTER_IMAGES=official or =local, set by the caller, skips the check. Images a stack sets (the
# `ci` stack names the local ones) are used as they are and checked to be there or pullable.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-${STACK:-docker}}"
if [ ! -f "Pulumi.$stack.yaml" ]; then
  echo "up: no stack file Pulumi.$stack.yaml; stacks here: $(ls Pulumi.*.yaml | sed -E 's/Pulumi\.(.*)\.yaml/\1/' | tr '\n' ' ')" >&2
  exit 2
fi
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

die() { echo "up: ERROR: $*" >&2; exit 1; }

# fc_progress (env.sh) says every 9 s that a step still runs; its lines go to fd 3, the terminal's stderr, also from
# inside a command substitution that captures the command's.
exec 3>&2
FC_PROGRESS_FD=3
local_prefix="flink-checkpointer-local/"

# Succeeds when image $1 is on this machine or can be pulled; otherwise prints the reason on one line.
image_available() {
  docker image inspect "$1" >/dev/null 2>&1 && return 0
  echo "up: pulling $1" >&2
  local out
  out="$(fc_progress "pulling $1" timeout 900 docker pull --quiet "$1" 2>&1)" && return 0
  printf '%s' "$out" | tr '\n' ' ' | cut -c1-200
  return 1
}

printf '\n== images (stack %s)\n' "$stack"
echo "up: selecting the stack, and checking its config (pulumi config, infra/imagePlan.ts)"
fc_progress "selecting the stack" pulumi stack select --create "$stack" --non-interactive
fc_refresh_stack_files
# One line per image key: <key> <stack|default> <official image> <local image>. An invalid stack config stops here.
plan="$(fc_progress "checking the stack config" bash -c 'pulumi config --json --stack "$1" | node_modules/.bin/tsx infra/imagePlan.ts' _ "$stack")"

images="${FLINK_CHECKPOINTER_IMAGES:-}"
case "$images" in
  ""|official|local) ;;
  *) die "FLINK_CHECKPOINTER_IMAGES is '$images'; allowed: official, local, or unset (then the official images are used when they can be found or pulled)" ;;
esac
if [ -n "$images" ]; then
  echo "up: FLINK_CHECKPOINTER_IMAGES=$images is set; using the $images images for the keys the stack does not set"
else
  images=official
  while read -r key origin official _; do
    [ "$origin" = default ] || continue
    if ! why="$(image_available "$official")"; then
      echo "up: the official image $official ($key) is neither on this machine nor pullable ($why); building and using the local equivalents instead (bash scripts/setup.sh local-images, FLINK_CHECKPOINTER_IMAGES=local)"
      images=local
      break
    fi
  done <<<"$plan"
fi
export FLINK_CHECKPOINTER_IMAGES="$images"

chosen="$(while read -r key origin official local; do
  echo "$key $origin $([ "$images" = local ] && echo "$local" || echo "$official")"
done <<<"$plan")"
if grep -q " $local_prefix" <<<"$chosen"; then
  printf '\n== local equivalents of the official images\n'
  bash scripts/setup.sh local-images
fi
while read -r key origin image; do
  if [[ "$image" == "$local_prefix"* ]]; then
    docker image inspect "$image" >/dev/null 2>&1 \
      || die "$image ($key) is not one of the images \`bash scripts/setup.sh local-images\` builds ($(docker images --format '{{.Repository}}:{{.Tag}}' "${local_prefix}*" | tr '\n' ' ')); set $key, or the version it is named after, in Pulumi.$stack.yaml"
  elif [ "$origin" = stack ] || [ "$images" = official ]; then
    why="$(image_available "$image")" || die "$image ($key$([ "$origin" = stack ] && echo ", set in Pulumi.$stack.yaml")) is neither on this machine nor pullable ($why); load or build it, or change $key"
  fi
  echo "   $key: $image ($([ "$origin" = stack ] && echo "set by the stack" || echo "$images default"))"
done <<<"$chosen"

printf '\n== pulumi up (stack %s, backend %s, FLINK_CHECKPOINTER_IMAGES=%s)\n' "$stack" "$PULUMI_BACKEND_URL" "$images"
start=$SECONDS
pulumi up --yes --skip-preview --non-interactive --stack "$stack"
echo "   pulumi up took $(( SECONDS - start )) s"
pulumi stack output --stack "$stack"
cat <<EON

The stack is up. Flink UI: $(pulumi stack output flinkRestUrl --stack "$stack")
Run the cancel-and-restore verification:  npm run verify -- --stack $stack
Tear it down:                             npm run down -- $stack
EON
